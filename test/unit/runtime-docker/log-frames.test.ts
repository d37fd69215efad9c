import { test } from 'node:test';
import assert from 'node:assert/strict';
import { logLines } from '../../../src/runtime/docker/log-frames.js';

const TS = '2024-05-01T10:00:00.123456789Z';

function frame(stream: 1 | 2, text: string): Buffer {
  const payload = Buffer.from(`${TS} ${text}`);
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

async function collect(chunks: Buffer[]): Promise<string[]> {
  const out: string[] = [];
  for await (const l of logLines(chunks)) out.push(`${l.stream} ${l.timestamp} ${JSON.stringify(l.line.toString())}`);
  return out;
}

test('frames become lines with their stream and timestamp, however the bytes were split', async () => {
  const bytes = Buffer.concat([frame(1, 'hello\n'), frame(2, 'oops\n'), frame(1, 'no newline')]);
  const expected = [`stdout ${TS} "hello\\n"`, `stderr ${TS} "oops\\n"`, `stdout ${TS} "no newline"`];
  assert.deepEqual(await collect([bytes]), expected);
  const oneByOne = [...bytes].map((b) => Buffer.from([b]));
  assert.deepEqual(await collect(oneByOne), expected);
  assert.deepEqual(await collect([bytes.subarray(0, 5), bytes.subarray(5, 40), bytes.subarray(40)]), expected);
});

test('a truncated last frame yields nothing', async () => {
  const f = frame(1, 'cut\n');
  assert.deepEqual(await collect([f.subarray(0, f.length - 2)]), []);
});
