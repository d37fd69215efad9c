import type { Socket } from 'node:net';
import { availableParallelism } from 'node:os';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { openLibc, type Libc } from '../../../../native/libc.js';
import { errorMessage } from '../../../util/errors.js';
import type { Logger } from '../../../util/logger.js';

export type SpliceCommand = { op: 'add'; id: number; client: number; upstream: number } | { op: 'reset'; id: number } | { op: 'stop' };
export type SpliceReport = { op: 'bytes'; counts: number[] } | { op: 'closed'; id: number; bytesIn: number; bytesOut: number; reset: boolean };
export interface SpliceThreadData {
  wakeFd: number;
}

/** What a spliced connection tells its owner: bytes as they pass (client → backend, back), and its end. */
export interface SpliceSink {
  bytes(bytesIn: number, bytesOut: number): void;
  closed(reset: boolean): void;
}

/** A connection the splice thread relays; `reset` cuts it (both sides get a reset). */
export interface SplicedConnection {
  reset(): void;
}

/** One splice thread: its worker, the port its commands go through, and the eventfd that wakes it. */
interface SpliceThread {
  worker: Worker;
  port: MessagePort;
  wakeFd: number;
}

/**
 * Hands established proxy connections to threads that relay them with splice(2) (splice-thread.ts):
 * the kernel moves the bytes, and no JavaScript runs per chunk. One thread per core, connections
 * spread over them in turn. A connection is handed over only while nothing is buffered in Node on
 * either side; its sockets are duplicated and Node's own closed, so from then on its thread owns the
 * connection and reports its bytes and its end.
 */
export class Splicer {
  private nextId = 1;
  private readonly sinks = new Map<number, SpliceSink>();
  private closed = false;

  private constructor(
    private readonly libc: Libc,
    private readonly threads: SpliceThread[],
  ) {}

  /** Starts the threads; undefined (logged) where koffi or libc cannot be loaded: connections stay in Node. */
  static start(log: Logger, count = availableParallelism()): Splicer | undefined {
    let libc: Libc;
    try {
      libc = openLibc();
    } catch (err) {
      log.warn({ err: errorMessage(err) }, 'splice(2) is not available; the userspace proxy relays every byte in Node');
      return undefined;
    }
    const threads = Array.from({ length: Math.max(1, count) }, (): SpliceThread => {
      const wakeFd = libc.eventFd();
      const { port1, port2 } = new MessageChannel();
      const data: SpliceThreadData & { port: MessagePort } = { wakeFd, port: port2 };
      const worker = new Worker(new URL('./splice-thread.js', import.meta.url), { workerData: data, transferList: [port2] });
      worker.on('error', (err) => log.error({ err: errorMessage(err) }, 'a splice thread failed; its connections are lost'));
      worker.unref();
      port1.unref();
      return { worker, port: port1, wakeFd };
    });
    const splicer = new Splicer(libc, threads);
    for (const t of threads) t.port.on('message', (r: SpliceReport) => splicer.report(r));
    return splicer;
  }

  /**
   * Takes over a connection whose sockets have nothing buffered in Node (the caller checks with
   * `quiet`); undefined when it cannot (a socket already closed), and the sockets are left as they were.
   */
  adopt(client: Socket, upstream: Socket, sink: SpliceSink): SplicedConnection | undefined {
    const cfd = fdOf(client);
    const ufd = fdOf(upstream);
    if (this.closed || cfd === undefined || ufd === undefined) return undefined;
    const id = this.nextId++;
    const thread = this.threads[id % this.threads.length]!;
    const dupC = this.libc.dup(cfd);
    const dupU = this.libc.dup(ufd);
    // Node's sockets close without a FIN or reset of their own: the duplicates keep the connection.
    client.removeAllListeners().on('error', noop).destroy();
    upstream.removeAllListeners().on('error', noop).destroy();
    this.sinks.set(id, sink);
    this.send(thread, { op: 'add', id, client: dupC, upstream: dupU });
    return { reset: () => this.sinks.has(id) && this.send(thread, { op: 'reset', id }) };
  }

  /** Resets every connection the threads hold and stops them. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(
      this.threads.map(async (t) => {
        const exited = new Promise((resolve) => t.worker.once('exit', resolve));
        this.send(t, { op: 'stop' });
        await exited;
        this.libc.close(t.wakeFd);
      }),
    );
    for (const s of this.sinks.values()) s.closed(true);
    this.sinks.clear();
  }

  private send(t: SpliceThread, cmd: SpliceCommand): void {
    t.port.postMessage(cmd);
    this.libc.signal(t.wakeFd);
  }

  private report(r: SpliceReport): void {
    if (r.op === 'bytes') {
      for (let i = 0; i < r.counts.length; i += 3) this.sinks.get(r.counts[i]!)?.bytes(r.counts[i + 1]!, r.counts[i + 2]!);
      return;
    }
    const sink = this.sinks.get(r.id);
    this.sinks.delete(r.id);
    sink?.bytes(r.bytesIn, r.bytesOut);
    sink?.closed(r.reset);
  }
}

/** Whether neither socket holds bytes in Node (read and not yet passed on, or written and not yet sent). */
export function quiet(a: Socket, b: Socket): boolean {
  return a.readableLength === 0 && b.readableLength === 0 && a.writableLength === 0 && b.writableLength === 0;
}

function fdOf(s: Socket): number | undefined {
  const fd = (s as unknown as { _handle?: { fd?: number } })._handle?.fd;
  return s.destroyed || typeof fd !== 'number' || fd < 0 ? undefined : fd;
}

function noop(): void {}
