import { test } from 'node:test';
import assert from 'node:assert/strict';
import { affinityMemory, AffinityTable, ipv4Number, ipv4String } from '../../../src/mesh/dataplane/userspace/affinity.js';
import { Route } from '../../../src/mesh/dataplane/userspace/route.js';

const c1 = ipv4Number('192.168.77.254');
const c2 = ipv4Number('192.168.77.253');

test('addresses convert to numbers and back', () => {
  for (const a of ['10.0.0.11', '255.255.255.255', '192.168.77.254', '1.2.3.4']) assert.equal(ipv4String(ipv4Number(a)), a);
});

test('a client keeps its backend until it opened nothing for the timeout; each lookup is a use', () => {
  const t = new AffinityTable(affinityMemory(), 10);
  assert.equal(t.lookup(c1, 0), undefined);
  t.record(c1, '10.0.0.11', 0);
  t.record(c2, '10.0.0.12', 0);
  assert.equal(t.lookup(c1, 9_000), '10.0.0.11');
  assert.equal(t.lookup(c1, 18_000), '10.0.0.11', 'used at 9 s: kept until 19 s');
  assert.equal(t.lookup(c2, 18_000), undefined, 'idle since 0 s');
  assert.equal(t.lookup(c1, 28_000), undefined);
});

test('a table shared through its memory is one table (the splice threads and the main thread)', () => {
  const memory = affinityMemory();
  new AffinityTable(memory, 60).record(c1, '10.0.0.13', 0);
  assert.equal(new AffinityTable(memory, 60).lookup(c1, 1000), '10.0.0.13');
});

test('clients of backends that left are forgotten; the others are kept', () => {
  const t = new AffinityTable(affinityMemory(), 60);
  t.record(c1, '10.0.0.11', 0);
  t.record(c2, '10.0.0.12', 0);
  t.keepOnly(new Set(['10.0.0.12']));
  assert.equal(t.lookup(c1, 0), undefined);
  assert.equal(t.lookup(c2, 0), '10.0.0.12');
  t.record(c1, '10.0.0.12', 0);
  assert.equal(t.lookup(c1, 0), '10.0.0.12', 'a forgotten client is recorded again');
});

test('many clients: each keeps its own backend (the table overwrites only the least recent of a full neighbourhood)', () => {
  const t = new AffinityTable(affinityMemory(), 600);
  for (let i = 0; i < 5000; i++) t.record(0x0a000000 + i, `10.1.${i % 4}.1`, 0);
  let kept = 0;
  for (let i = 0; i < 5000; i++) if (t.lookup(0x0a000000 + i, 1000) === `10.1.${i % 4}.1`) kept++;
  assert.equal(kept, 5000);
});

test('a route with affinity sends a client to its last backend while usable, and balances the rest round robin', () => {
  const r = new Route('web', 'tcp/8080', 80);
  r.setBackends(['10.0.0.11', '10.0.0.12', '10.0.0.13'].map((address) => ({ taskId: address, address })));
  r.setAffinity(600);
  const first = r.pick(undefined, 0, '192.168.77.254')!.address;
  for (let i = 0; i < 5; i++) assert.equal(r.pick(undefined, i, '192.168.77.254')!.address, first);
  const other = r.pick(undefined, 0, '192.168.77.253')!.address;
  assert.notEqual(other, first, 'the next client is balanced to the next backend');
  assert.notEqual(r.pick(new Set([first]), 0, '192.168.77.254')!.address, first, 'a retry after a refusal goes elsewhere');
  r.setBackends(['10.0.0.11', '10.0.0.12', '10.0.0.13'].filter((a) => a !== other).map((address) => ({ taskId: address, address })));
  assert.notEqual(r.pick(undefined, 0, '192.168.77.253')!.address, other, 'its backend left: balanced again');
  r.setAffinity(undefined);
  const spread = new Set(Array.from({ length: 4 }, () => r.pick(undefined, 0, '192.168.77.254')!.address));
  assert.equal(spread.size, 2, 'without affinity the client is balanced over every backend');
});
