import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readLog } from '../../../src/runtime/process/log-reader.js';
import type { LogLine, LogOptions } from '../../../src/runtime/types.js';

const record = (second: number, stream: string, text: string) => `2026-01-02T03:04:${String(second).padStart(2, '0')}.000000000Z ${stream} ${text}\n`;
const t0 = Date.parse('2026-01-02T03:04:00Z') / 1000;
const all: LogOptions = { follow: false, stdout: true, stderr: true };

async function collect(lines: AsyncIterable<LogLine>): Promise<string[]> {
  const out: string[] = [];
  for await (const l of lines) out.push(`${l.stream}:${l.line.toString().trimEnd()}`);
  return out;
}

async function withLog(body: (file: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'shoal-log-'));
  try {
    await body(join(dir, 'log'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const sample = [record(1, 'stdout', 'a'), record(2, 'stderr', 'b'), record(3, 'stdout', 'c'), record(4, 'stdout', 'd'), record(5, 'stderr', 'e')].join('');

test('logs select streams, since and until, and tail over the selected lines', () =>
  withLog(async (file) => {
    await writeFile(file, sample);
    const done = () => true;
    assert.deepEqual(await collect(readLog(file, all, done)), ['stdout:a', 'stderr:b', 'stdout:c', 'stdout:d', 'stderr:e']);
    assert.deepEqual(await collect(readLog(file, { ...all, stderr: false, tail: 2 }, done)), ['stdout:c', 'stdout:d']);
    assert.deepEqual(await collect(readLog(file, { ...all, tail: 0 }, done)), []);
    assert.deepEqual(await collect(readLog(file, { ...all, since: t0 + 3, until: t0 + 4 }, done)), ['stdout:c', 'stdout:d']);
    assert.deepEqual(await collect(readLog(join(file, '..', 'none'), all, done)), []);
  }));

test('follow yields lines written later and ends once the task has finished', () =>
  withLog(async (file) => {
    await writeFile(file, record(1, 'stdout', 'first'));
    let finished = false;
    const seen: string[] = [];
    const reading = (async () => {
      for await (const l of readLog(file, { ...all, follow: true, tail: 1 }, () => finished)) seen.push(l.line.toString().trimEnd());
    })();
    await new Promise((r) => setTimeout(r, 150));
    await appendFile(file, record(2, 'stdout', 'second') + record(3, 'stdout', 'thi'));
    await appendFile(file, 'rd-and-torn-no-newline-yet');
    await new Promise((r) => setTimeout(r, 150));
    assert.deepEqual(seen, ['first', 'second', 'thi']);
    finished = true;
    await reading;
    assert.deepEqual(seen, ['first', 'second', 'thi']);
  }));

test('follow stops when its signal fires', () =>
  withLog(async (file) => {
    await writeFile(file, sample);
    const abort = new AbortController();
    const seen = collect(readLog(file, { ...all, follow: true, signal: abort.signal }, () => false));
    setTimeout(() => abort.abort(), 100);
    assert.equal((await seen).length, 5);
  }));
