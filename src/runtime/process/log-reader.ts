import { open, type FileHandle } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LogLine, LogOptions } from '../types.js';
import { LastItems, parseLogRecord, timestampAt } from './log-record.js';

const CHUNK_BYTES = 64 * 1024;
const FOLLOW_POLL_MS = 100;

/** Reads records from a growing log file: each call yields the complete records written since the last. */
class RecordReader {
  private offset = 0;
  private pending = Buffer.alloc(0);

  constructor(private readonly fh: FileHandle) {}

  async *available(): AsyncGenerator<LogLine> {
    const chunk = Buffer.allocUnsafe(CHUNK_BYTES);
    for (;;) {
      const { bytesRead } = await this.fh.read(chunk, 0, CHUNK_BYTES, this.offset);
      if (bytesRead === 0) return;
      this.offset += bytesRead;
      const data = Buffer.concat([this.pending, chunk.subarray(0, bytesRead)]);
      let start = 0;
      for (let nl = data.indexOf(10); nl >= 0; nl = data.indexOf(10, start)) {
        const record = parseLogRecord(data.subarray(start, nl + 1));
        start = nl + 1;
        if (record) yield record;
      }
      this.pending = Buffer.from(data.subarray(start));
    }
  }
}

/**
 * The lines of a task log that `opts` selects (streams, since, until, tail), then with `follow` the
 * lines written later, until `finished()` says the task has exited (and all it wrote was read) or the signal fires.
 */
export async function* readLog(file: string, opts: LogOptions, finished: () => boolean): AsyncGenerator<LogLine> {
  const since = opts.since !== undefined ? timestampAt(opts.since) : undefined;
  const until = opts.until !== undefined ? timestampAt(opts.until) : undefined;
  const wanted = (l: LogLine): boolean => (l.stream === 'stdout' ? opts.stdout : opts.stderr) && (since === undefined || l.timestamp >= since);
  let fh: FileHandle;
  try {
    fh = await open(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  try {
    const reader = new RecordReader(fh);
    const tail = opts.tail !== undefined ? new LastItems<LogLine>(opts.tail) : undefined;
    let pastUntil = false;
    for await (const line of reader.available()) {
      if (until !== undefined && line.timestamp > until) {
        pastUntil = true;
        break;
      }
      if (!wanted(line)) continue;
      if (tail) tail.push(line);
      else yield line;
    }
    if (tail) yield* tail.items();
    if (!opts.follow || pastUntil) return;
    while (!opts.signal?.aborted) {
      const done = finished(); // before reading: what was written before the exit is read below
      let read = false;
      for await (const line of reader.available()) {
        read = true;
        if (until !== undefined && line.timestamp > until) return;
        if (wanted(line)) yield line;
      }
      if (done) return;
      if (!read) await sleep(FOLLOW_POLL_MS, undefined, { signal: opts.signal }).catch(() => undefined);
    }
  } finally {
    await fh.close();
  }
}
