import { test } from 'node:test';
import assert from 'node:assert/strict';
import { reslot } from '../../../src/mesh/dataplane/nftables/slots.js';

/** Applies a reslot's operations to the old slot map, as the kernel would. */
function applyOps(prev: string[], r: ReturnType<typeof reslot>): string[] {
  const m = new Map(prev.map((b, i) => [i, b]));
  for (const s of r.deleted) assert.ok(m.delete(s), `slot ${s} deleted twice or absent`);
  for (const [s, b] of r.added) {
    assert.ok(!m.has(s), `slot ${s} added while present`);
    m.set(s, b);
  }
  return [...m.keys()].sort((a, b) => a - b).map((k) => m.get(k)!);
}

test('first fill puts every backend in its own slot', () => {
  const r = reslot([], ['a', 'b', 'c']);
  assert.deepEqual(r.slots, ['a', 'b', 'c']);
  assert.deepEqual(r.deleted, []);
  assert.deepEqual(r.added, [[0, 'a'], [1, 'b'], [2, 'c']]);
});

test('a removed backend is replaced by the last one (swap-remove): two operations', () => {
  const r = reslot(['a', 'b', 'c', 'd'], ['a', 'c', 'd']);
  assert.deepEqual(r.slots, ['a', 'd', 'c']);
  assert.deepEqual(r.deleted, [1, 3]);
  assert.deepEqual(r.added, [[1, 'd']]);
});

test('a replaced backend takes the freed slot; nothing else moves', () => {
  const r = reslot(['a', 'b', 'c'], ['a', 'x', 'c']);
  assert.deepEqual(r.slots, ['a', 'x', 'c']);
  assert.deepEqual(r.deleted, [1]);
  assert.deepEqual(r.added, [[1, 'x']]);
});

test('an unchanged set changes nothing', () => {
  const r = reslot(['a', 'b'], ['b', 'a']);
  assert.deepEqual(r.slots, ['a', 'b']);
  assert.deepEqual([r.deleted, r.added], [[], []]);
});

test('random changes: slots stay dense, hold exactly the new set, and ops rebuild them', () => {
  let seed = 7;
  const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % n);
  let prev: string[] = [];
  for (let round = 0; round < 300; round++) {
    const pool = Array.from({ length: 40 }, (_, i) => `b${i}`);
    const next = pool.filter(() => rnd(3) > 0).slice(0, rnd(40));
    const r = reslot(prev, next);
    assert.equal(r.slots.length, next.length);
    assert.deepEqual([...r.slots].sort(), [...next].sort());
    assert.deepEqual(applyOps(prev, r), r.slots);
    // Survivors below the new end keep their slot.
    prev.forEach((b, i) => {
      if (i < next.length && next.includes(b)) assert.equal(r.slots[i], b);
    });
    prev = r.slots;
  }
});

test('1 of 10,000 replaced: one delete, one add', () => {
  const prev = Array.from({ length: 10_000 }, (_, i) => `10.1.${i >> 8}.${i & 255}`);
  const next = [...prev];
  next[5000] = '10.9.9.9';
  const r = reslot(prev, next);
  assert.deepEqual(r.deleted, [5000]);
  assert.deepEqual(r.added, [[5000, '10.9.9.9']]);
});
