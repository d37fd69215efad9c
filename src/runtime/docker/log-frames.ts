import type { LogLine } from '../types.js';

const HEADER = 8;

/**
 * Splits the engine's multiplexed log stream (for containers without a TTY) into lines: frames of
 * an 8-byte header (stream 1 stdout or 2 stderr, three zero bytes, the length big-endian) and the
 * payload, which with `timestamps=1` starts with the RFC3339Nano time and a space. The engine sends
 * one frame per log line (a line longer than its 16 KiB buffer comes as several).
 */
export async function* logLines(chunks: Iterable<Buffer> | AsyncIterable<Buffer>): AsyncGenerator<LogLine> {
  let pending: Buffer = Buffer.alloc(0);
  for await (const chunk of chunks) {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    while (pending.length >= HEADER) {
      const end = HEADER + pending.readUInt32BE(4);
      if (pending.length < end) break;
      const line = frameLine(pending[0]!, pending.subarray(HEADER, end));
      pending = pending.subarray(end);
      if (line) yield line;
    }
  }
}

function frameLine(streamByte: number, payload: Buffer): LogLine | undefined {
  const space = payload.indexOf(0x20);
  if (space < 0) return undefined;
  return {
    stream: streamByte === 2 ? 'stderr' : 'stdout',
    timestamp: payload.toString('latin1', 0, space),
    line: Buffer.from(payload.subarray(space + 1)),
  };
}
