import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pack, unpack } from '../../../src/cluster/raft/entries-codec.js';
import type { Entry } from '../../../src/cluster/raft/core/types.js';

test('packed entries come back byte for byte: JSON data with quotes, non-ASCII text, conf entries, the empty no-op', () => {
  const entries: Entry[] = [
    { index: 7, term: 3, type: 'normal', data: '{"id":"m1/x/1","changes":[{"name":"wéb \\"quoted\\" 🐟"}]}' },
    { index: 8, term: 3, type: 'conf', data: '{"type":"addNode","node":"m4"}' },
    { index: 9, term: 4, type: 'normal', data: '' },
    { index: 2 ** 40, term: 2 ** 33, type: 'normal', data: 'x'.repeat(70_000) },
  ];
  const head = { type: 'app', from: 'a', to: 'b', term: 4, index: 6, logTerm: 3, commit: 5 };
  const back = unpack(pack(head, entries));
  assert.deepEqual(back.head, head);
  assert.deepEqual(back.entries, entries);
});

test('a value without an entries field stays without one; an empty list stays empty', () => {
  assert.equal(unpack(pack({ type: 'heartbeat' }, undefined)).entries, undefined);
  assert.deepEqual(unpack(pack({ type: 'app' }, [])).entries, []);
});

test('a packed value cut short, or one that is not packed, is refused', () => {
  const buf = pack({ h: 1 }, [{ index: 1, term: 1, type: 'normal', data: 'abcdef' }]);
  assert.throws(() => unpack(buf.subarray(0, buf.length - 2)), /cut short/);
  assert.throws(() => unpack(Buffer.from('{"h":1}')), /not a packed value/);
});
