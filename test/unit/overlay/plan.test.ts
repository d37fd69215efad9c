import { test } from 'node:test';
import assert from 'node:assert/strict';
import { desiredOverlay } from '../../../src/mesh/overlay/desired.js';
import { planOverlay } from '../../../src/mesh/overlay/plan.js';
import type { KernelView } from '../../../src/mesh/overlay/types.js';
import { table, task, UNDERLAY } from './fixture.js';

const empty = (): KernelView => ({ devices: new Map(), entries: new Map() });
const A = task('a', 'n1', { app: '10.0.1.10/24' });
const B = task('b', 'n2', { app: '10.0.1.11/24' });
const C = task('c', 'n3', { app: '10.0.1.12/24' });
const want = (...tasks: (typeof A)[]) => desiredOverlay(table(tasks), 'n1', new Map());

test('a new network: bridge, VXLAN device, then its entries; one ip and one bridge batch', () => {
  const plan = planOverlay(empty(), want(A, B), UNDERLAY);
  assert.deepEqual(plan.ip, [
    'link add name shoal4097 type bridge',
    'link set dev shoal4097 address 02:aa:0a:00:01:02 mtu 1450',
    'addr add 10.0.1.2/24 dev shoal4097',
    'link add name shoalvx4097 type vxlan id 4097 dstport 4789 local 192.168.77.1 dev eth0 nolearning proxy',
    'link set dev shoalvx4097 mtu 1450 master shoal4097 up',
    'link set dev shoal4097 up',
    'neigh replace 10.0.1.3 lladdr 02:aa:0a:00:01:03 dev shoalvx4097 nud permanent',
    'neigh replace 10.0.1.4 lladdr 02:aa:0a:00:01:04 dev shoalvx4097 nud permanent',
    'neigh replace 10.0.1.11 lladdr 02:42:0a:00:01:0b dev shoalvx4097 nud permanent',
  ]);
  assert.deepEqual(plan.bridge, [
    'fdb replace 02:aa:0a:00:01:03 dev shoalvx4097 dst 192.168.77.2 self permanent',
    'fdb replace 02:aa:0a:00:01:04 dev shoalvx4097 dst 192.168.77.3 self permanent',
    'fdb replace 02:42:0a:00:01:0b dev shoalvx4097 dst 192.168.77.2 self permanent',
  ]);
  assert.deepEqual(plan.touched.map((n) => n.vni), [4097]);
  assert.ok(!plan.bridge.some((l) => l.includes('00:00:00:00:00:00')), 'no flooding entry');
});

test('a task added or removed elsewhere: only its two entries change', () => {
  const first = planOverlay(empty(), want(A, B), UNDERLAY);
  const added = planOverlay(first.next, want(A, B, C), UNDERLAY);
  assert.deepEqual(added.ip, ['neigh replace 10.0.1.12 lladdr 02:42:0a:00:01:0c dev shoalvx4097 nud permanent']);
  assert.deepEqual(added.bridge, ['fdb replace 02:42:0a:00:01:0c dev shoalvx4097 dst 192.168.77.3 self permanent']);
  assert.deepEqual(added.touched, []);
  const removed = planOverlay(added.next, want(A, C), UNDERLAY);
  assert.deepEqual(removed.ip, ['neigh del 10.0.1.11 dev shoalvx4097']);
  assert.deepEqual(removed.bridge, ['fdb del 02:42:0a:00:01:0b dev shoalvx4097 self']);
  const same = planOverlay(removed.next, want(A, C), UNDERLAY);
  assert.deepEqual([same.ip, same.bridge], [[], []], 'the same table again changes nothing');
});

test('an address that moves to another host is re-pointed in place', () => {
  const first = planOverlay(empty(), want(A, B), UNDERLAY);
  const moved = planOverlay(first.next, want(A, task('b2', 'n3', { app: '10.0.1.11/24' })), UNDERLAY);
  assert.deepEqual(moved.ip, []);
  assert.deepEqual(moved.bridge, ['fdb replace 02:42:0a:00:01:0b dev shoalvx4097 dst 192.168.77.3 self permanent']);
});

test('the last local task gone: the network leaves, devices (and their entries) removed', () => {
  const first = planOverlay(empty(), want(A, B), UNDERLAY);
  const gone = planOverlay(first.next, want(B), UNDERLAY);
  assert.deepEqual(gone.ip, ['link del shoalvx4097', 'link del shoal4097']);
  assert.deepEqual(gone.bridge, []);
  assert.deepEqual(gone.removed, [4097]);
  assert.equal(gone.next.devices.size, 0);
  const kept = planOverlay(first.next, want(B), UNDERLAY, true);
  assert.deepEqual([kept.ip, kept.bridge, kept.removed], [[], [], []], 'before the first table, unlisted devices stay');
  assert.deepEqual(kept.next, first.next);
});

test('leftovers: a right device is kept, a wrong VXLAN device recreated, stray entries and addresses removed', () => {
  const kept = planOverlay(empty(), want(A, B), UNDERLAY).next;
  kept.entries.get(4097)!.fdb.set('00:00:00:00:00:00', '192.168.77.9');
  kept.entries.get(4097)!.neigh.set('10.0.1.99', '02:42:0a:00:01:63');
  const otherPort = planOverlay(kept, want(A, B), { ...UNDERLAY, port: 7789 });
  assert.deepEqual(otherPort.ip.slice(0, 2), ['link del shoalvx4097', 'link add name shoalvx4097 type vxlan id 4097 dstport 7789 local 192.168.77.1 dev eth0 nolearning proxy'], 'a new data path port recreates the device');
  const reuse = planOverlay(kept, want(A, B), UNDERLAY);
  assert.deepEqual(reuse.ip, ['neigh del 10.0.1.99 dev shoalvx4097']);
  assert.deepEqual(reuse.bridge, ['fdb del 00:00:00:00:00:00 dev shoalvx4097 self'], 'a flooding entry is removed');

  const wrong: KernelView = {
    devices: new Map([
      [4097, { bridge: { mac: '02:aa:0a:00:01:07', mtu: 1500, up: true, addresses: ['10.0.1.7/24'] }, vxlan: { id: 4097, local: '192.168.77.9', port: 4789, learning: false, proxy: true, mtu: 1450, master: 'shoal4097', up: true } }],
      [4300, { bridge: { mac: '02:aa:0a:00:05:02', mtu: 1450, up: true, addresses: [] } }],
    ]),
    entries: new Map([[4097, { neigh: new Map([['10.0.1.11', '02:42:0a:00:01:0b']]), fdb: new Map([['02:42:0a:00:01:0b', '192.168.77.2']]) }]]),
  };
  const fixed = planOverlay(wrong, want(A, B), UNDERLAY);
  assert.deepEqual(fixed.ip.slice(0, 7), [
    'link del shoal4300',
    'link set dev shoal4097 address 02:aa:0a:00:01:02 mtu 1450',
    'addr del 10.0.1.7/24 dev shoal4097',
    'addr add 10.0.1.2/24 dev shoal4097',
    'link del shoalvx4097',
    'link add name shoalvx4097 type vxlan id 4097 dstport 4789 local 192.168.77.1 dev eth0 nolearning proxy',
    'link set dev shoalvx4097 mtu 1450 master shoal4097 up',
  ]);
  assert.equal(fixed.ip.filter((l) => l.startsWith('neigh replace')).length, 3, 'a recreated device is programmed from scratch');
  assert.equal(fixed.bridge.length, 3);
  assert.deepEqual(fixed.removed, [4300]);
});
