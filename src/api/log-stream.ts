import type { LogLine } from '../runtime/types.js';

const STREAM_ID = { stdout: 1, stderr: 2 } as const;

/** One frame of Docker's multiplexed stream: `[stream, 0, 0, 0, uint32 BE length]` then the payload. */
export function frame(stream: 'stdout' | 'stderr', payload: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header[0] = STREAM_ID[stream];
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

/** The IDs Docker puts before each line with `details=1`, which the CLI parses to name the task. */
export const swarmDetails = (nodeId: string, serviceId: string, taskId: string): string =>
  `com.docker.swarm.node.id=${nodeId},com.docker.swarm.service.id=${serviceId},com.docker.swarm.task.id=${taskId}`;

/** A log line as Docker sends it: `[<timestamp> ][<details> ]<message>\n`. */
export function formatLine(line: LogLine, opts: { timestamps: boolean; details?: string }): Buffer {
  const prefix = (opts.timestamps ? `${line.timestamp} ` : '') + (opts.details !== undefined ? `${opts.details} ` : '');
  const newline = line.line.length > 0 && line.line[line.line.length - 1] === 0x0a ? [] : [Buffer.from('\n')];
  return Buffer.concat([Buffer.from(prefix), line.line, ...newline]);
}

const HIGH_WATER = 1024;

/**
 * Lines from several sources as they come. More sources may be added while it runs (tasks that
 * start during `--follow`); without `keepOpen` it ends when every source has.
 */
export class LogMerger<T> implements AsyncIterable<T> {
  private readonly queue: T[] = [];
  private active = 0;
  private wake: (() => void) | undefined;
  private spaceWaiters: (() => void)[] = [];

  constructor(private readonly keepOpen: boolean) {}

  add(source: AsyncIterable<T>, onError: (err: unknown) => T | undefined): void {
    this.active++;
    void (async () => {
      try {
        for await (const item of source) {
          // Producers wait while the consumer is behind, so a slow client bounds memory.
          while (this.queue.length >= HIGH_WATER) await new Promise<void>((r) => this.spaceWaiters.push(r));
          this.push(item);
        }
      } catch (err) {
        const item = onError(err);
        if (item !== undefined) this.push(item);
      } finally {
        this.active--;
        this.notify();
      }
    })();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (;;) {
      const item = this.queue.shift();
      if (item !== undefined) {
        for (const w of this.spaceWaiters.splice(0)) w();
        yield item;
        continue;
      }
      if (this.active === 0 && !this.keepOpen) return;
      await new Promise<void>((r) => (this.wake = r));
    }
  }

  private push(item: T): void {
    this.queue.push(item);
    this.notify();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
