import type { LogLine } from '../types.js';

/**
 * The task log is one file of records `<timestamp> <stream> <line>\n`, written by the supervisor:
 * the timestamp is RFC3339 with nine fraction digits (fixed width, so timestamps compare as strings),
 * the stream `stdout` or `stderr`, the line the task's bytes up to and including its newline.
 */
export const TIMESTAMP_LENGTH = 30;
const STREAM_LENGTH = 6;
const LINE_OFFSET = TIMESTAMP_LENGTH + 1 + STREAM_LENGTH + 1;

/** Parses one record (with its newline); undefined for a record that is not one (a torn write). */
export function parseLogRecord(record: Buffer): LogLine | undefined {
  if (record.length < LINE_OFFSET || record[TIMESTAMP_LENGTH] !== 0x20 || record[LINE_OFFSET - 1] !== 0x20) return undefined;
  const stream = record.toString('latin1', TIMESTAMP_LENGTH + 1, LINE_OFFSET - 1);
  if (stream !== 'stdout' && stream !== 'stderr') return undefined;
  return { stream, timestamp: record.toString('latin1', 0, TIMESTAMP_LENGTH), line: record.subarray(LINE_OFFSET) };
}

/** The record timestamp of a moment given in Unix seconds (fractions kept to the nanosecond). */
export function timestampAt(unixSeconds: number): string {
  const whole = Math.floor(unixSeconds);
  const nanos = Math.min(999_999_999, Math.round((unixSeconds - whole) * 1e9));
  return `${new Date(whole * 1000).toISOString().slice(0, 19)}.${String(nanos).padStart(9, '0')}Z`;
}

/** Keeps the last `size` items pushed: the lines `tail` returns. */
export class LastItems<T> {
  private readonly ring: T[] = [];
  private next = 0;

  constructor(private readonly size: number) {}

  push(item: T): void {
    if (this.size <= 0) return;
    if (this.ring.length < this.size) this.ring.push(item);
    else this.ring[this.next] = item;
    this.next = (this.next + 1) % this.size;
  }

  items(): T[] {
    return this.ring.length < this.size ? [...this.ring] : [...this.ring.slice(this.next), ...this.ring.slice(0, this.next)];
  }
}
