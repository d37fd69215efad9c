import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileStorage } from '../../../src/cluster/raft/storage/file-storage.js';
import { loadDataKey } from '../../../src/cluster/raft/storage/encryption.js';
import { encodeRecord } from '../../../src/cluster/raft/storage/records.js';
import { silentLogger } from '../../../src/util/logger.js';
import { isShoalError } from '../../../src/util/errors.js';
import type { Entry, Snapshot } from '../../../src/cluster/raft/core/types.js';

const e = (index: number, term: number, data = `d${index}`): Entry => ({ index, term, type: 'normal', data });
const range = (lo: number, hi: number, term: number): Entry[] => Array.from({ length: hi - lo + 1 }, (_, i) => e(lo + i, term));
const snap = (index: number, term: number, data = 'state'): Snapshot => ({ meta: { index, term, conf: { voters: ['a'], learners: [] } }, data });

function withDir(fn: (dir: string) => void | Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shoal-raft-storage-'));
    try {
      await fn(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

const open = (dir: string, extra: Partial<Parameters<typeof FileStorage.open>[0]> = {}): FileStorage => FileStorage.open({ dir, log: silentLogger, ...extra });
const segments = (dir: string): string[] => readdirSync(join(dir, 'wal')).sort();
const lastSegment = (dir: string): string => join(dir, 'wal', segments(dir).at(-1)!);

/** Reopened after a crash that lost entry 4: entries 1–3 are there, and entry 4 is written again. */
async function rewriteFourth(dir: string, afterOpen = (): void => undefined): Promise<void> {
  const st = open(dir);
  assert.deepEqual(st.load().entries.map((x) => x.index), [1, 2, 3]);
  afterOpen();
  await st.save(undefined, [e(4, 1, 'again')]);
  st.close();
}

function assertRewritten(dir: string): void {
  const st = open(dir);
  assert.deepEqual(st.load().entries.map((x) => x.data), ['d1', 'd2', 'd3', 'again']);
  st.close();
}

test('entries and hard state come back after a restart; an overwrite replaces the suffix', withDir(async (dir) => {
  const s = open(dir);
  await s.save({ term: 1, vote: 'a', commit: 0 }, range(1, 5, 1));
  await s.save({ term: 2, vote: 'b', commit: 3 }, [e(4, 2, 'new4')]);
  s.close();
  const { hardState, entries, snapshot } = open(dir).load();
  assert.deepEqual(hardState, { term: 2, vote: 'b', commit: 3 });
  assert.equal(snapshot, undefined);
  assert.deepEqual(entries.map((x) => [x.index, x.term, x.data]), [[1, 1, 'd1'], [2, 1, 'd2'], [3, 1, 'd3'], [4, 2, 'new4']]);
}));

test('a torn tail (a write cut by a crash before fsync returned) is cut off; what was acknowledged stays', withDir(async (dir) => {
  const s = open(dir);
  await s.save({ term: 1, vote: 'a', commit: 2 }, range(1, 3, 1));
  await s.save(undefined, range(4, 6, 1));
  s.close();
  const path = lastSegment(dir);
  const full = statSync(path).size;
  // the last write reached the disk only in part
  truncateSync(path, full - 7);
  await rewriteFourth(dir);
  // garbage after the last record (a length header and nothing behind it)
  appendFileSync(path, Buffer.from([0xff, 0x00, 0x00, 0x00, 0x12]));
  assertRewritten(dir);
}));

test('a crash leaves the zeroed space after the records: it ends the log and is cut off before writing goes on', withDir(async (dir) => {
  const s = open(dir);
  await s.save({ term: 1, vote: 'a', commit: 0 }, range(1, 3, 1));
  const atCrash = readFileSync(lastSegment(dir)); // the file as a crash would leave it: no close trimmed it
  await s.save(undefined, [e(4, 1)]);
  s.close();
  const records = statSync(lastSegment(dir)).size;
  assert.ok(atCrash.length > records, 'space is zeroed ahead of the records');
  writeFileSync(lastSegment(dir), atCrash);
  await rewriteFourth(dir, () => assert.ok(statSync(lastSegment(dir)).size < records, 'the zeroed space is cut off on open'));
  assertRewritten(dir);
}));

test('a flipped byte in the last record is detected by its checksum and that record dropped', withDir(async (dir) => {
  const s = open(dir);
  await s.save({ term: 1, vote: 'a', commit: 0 }, range(1, 2, 1));
  await s.save(undefined, range(3, 4, 1));
  s.close();
  const path = lastSegment(dir);
  const buf = readFileSync(path);
  buf[buf.length - 3]! ^= 0x40;
  writeFileSync(path, buf);
  const st = open(dir);
  assert.deepEqual(st.load().entries.map((x) => x.index), [1, 2]);
  st.close();
}));

test('damage in a segment that is not the last is refused, not silently cut', withDir(async (dir) => {
  const s = open(dir, { segmentBytes: 200 });
  for (let i = 1; i <= 20; i++) await s.save({ term: 1, vote: '', commit: i - 1 }, [e(i, 1)]);
  s.close();
  const first = join(dir, 'wal', segments(dir)[0]!);
  assert.ok(segments(dir).length > 2);
  const buf = readFileSync(first);
  buf[buf.length - 2]! ^= 1;
  writeFileSync(first, buf);
  assert.throws(() => open(dir), /damaged/);
}));

test('a snapshot releases the segments it covers; restart = snapshot + the entries after it', withDir(async (dir) => {
  const s = open(dir, { segmentBytes: 300 });
  for (let i = 1; i <= 30; i++) await s.save({ term: 1, vote: 'a', commit: i }, [e(i, 1)]);
  const before = segments(dir).length;
  s.saveSnapshot(snap(25, 1));
  assert.ok(segments(dir).length < before, 'old segments deleted');
  s.close();
  const st = open(dir, { segmentBytes: 300 });
  const { snapshot, entries, hardState } = st.load();
  assert.equal(snapshot?.meta.index, 25);
  assert.deepEqual(entries.map((x) => x.index), [26, 27, 28, 29, 30]);
  assert.equal(hardState.commit, 30);
  assert.deepEqual(readdirSync(join(dir, 'snap')), ['0000000000000019.snap']);
  st.close();
}));

test('a snapshot past the entries written yet (applied before this member synced them): the later write continues the log after it, and a crash before that write leaves the snapshot alone', withDir(async (dir) => {
  const s = open(dir);
  await s.save({ term: 1, vote: 'a', commit: 4 }, range(1, 4, 1));
  s.saveSnapshot(snap(6, 1)); // entries 5 and 6 were committed on the other members' disks and applied here
  s.close();
  let st = open(dir);
  assert.equal(st.load().snapshot?.meta.index, 6);
  assert.deepEqual(st.load().entries, []);
  await st.save(undefined, range(5, 8, 1));
  st.close();
  st = open(dir);
  assert.deepEqual(st.load().entries.map((x) => x.index), [7, 8]);
  st.close();
}));

test('a snapshot installed from the leader replaces the whole log, also after a restart', withDir(async (dir) => {
  const s = open(dir);
  await s.save({ term: 1, vote: 'a', commit: 2 }, range(1, 8, 1)); // 3..8 were never committed
  s.installSnapshot(snap(5, 3));
  await s.save({ term: 3, vote: '', commit: 6 }, [e(6, 3, 'leader6')]);
  s.close();
  const { snapshot, entries } = open(dir).load();
  assert.equal(snapshot?.meta.term, 3);
  assert.deepEqual(entries.map((x) => [x.index, x.data]), [[6, 'leader6']]);
}));

test('at rest everything is encrypted; with an unlock key the store opens only with that key; rotation re-seals', withDir(async (dir) => {
  let s = open(dir, { unlockKey: 'SWMKEY-1-first' });
  await s.save({ term: 1, vote: 'a', commit: 1 }, [e(1, 1, 'top-secret-value')]);
  s.saveSnapshot(snap(1, 1, 'secret-snapshot-state'));
  s.close();
  for (const f of [lastSegment(dir), join(dir, 'snap', readdirSync(join(dir, 'snap'))[0]!), join(dir, 'keys.json')]) {
    const text = readFileSync(f).toString('latin1');
    assert.ok(!text.includes('secret'), `${f} holds plaintext`);
  }
  assert.throws(() => open(dir), (err) => isShoalError(err, 'failed_precondition'));
  assert.throws(() => open(dir, { unlockKey: 'SWMKEY-1-wrong' }), (err) => isShoalError(err, 'invalid_argument'));
  s = open(dir, { unlockKey: 'SWMKEY-1-first' });
  assert.equal(s.load().snapshot?.data, 'secret-snapshot-state');
  s.setUnlockKey('SWMKEY-1-second');
  s.close();
  assert.throws(() => open(dir, { unlockKey: 'SWMKEY-1-first' }));
  s = open(dir, { unlockKey: 'SWMKEY-1-second' });
  s.setUnlockKey(undefined); // autolock turned off
  s.close();
  assert.equal(open(dir).load().hardState.term, 1);
}));

test('a log written before entries were packed (JSON records) is read, and written on after', withDir(async (dir) => {
  const s = open(dir);
  await s.save({ term: 1, vote: 'a', commit: 1 }, range(1, 2, 1));
  s.close();
  const key = loadDataKey(join(dir, 'keys.json'), undefined);
  appendFileSync(lastSegment(dir), encodeRecord(key, { e: [e(3, 1, '{"quoted":"json"}')], h: { term: 1, vote: 'a', commit: 3 } }));
  const again = open(dir);
  assert.deepEqual(again.load().entries.map((x) => x.data), ['d1', 'd2', '{"quoted":"json"}']);
  assert.deepEqual(again.load().hardState, { term: 1, vote: 'a', commit: 3 });
  await again.save(undefined, [e(4, 1)]);
  again.close();
  assert.deepEqual(open(dir).load().entries.map((x) => x.index), [1, 2, 3, 4]);
}));
