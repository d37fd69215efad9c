import { test } from 'node:test';
import assert from 'node:assert/strict';
import { desiredOverlay } from '../../../src/mesh/overlay/desired.js';
import { table, task } from './fixture.js';

test('a host gets the networks its tasks are on, with every remote task and remote host as an entry', () => {
  const t = table([task('a', 'n1', { app: '10.0.1.10/24' }), task('b', 'n2', { app: '10.0.1.11/24', back: '10.0.2.11/24' }), task('c', 'n3', { app: '10.0.1.12/24' })]);
  const want = desiredOverlay(t, 'n1', new Map());
  assert.deepEqual([...want.networks.keys()], [4097], 'backend has no task on n1');
  assert.deepEqual(want.networks.get(4097), { vni: 4097, name: 'appnet', hostAddress: '10.0.1.2/24', internal: false, ingress: false });
  const e = want.entries.get(4097)!;
  assert.deepEqual(
    [...e.neigh],
    [
      ['10.0.1.3', '02:aa:0a:00:01:03'],
      ['10.0.1.4', '02:aa:0a:00:01:04'],
      ['10.0.1.11', '02:42:0a:00:01:0b'],
      ['10.0.1.12', '02:42:0a:00:01:0c'],
    ],
    'no entry for the local task or the host itself',
  );
  assert.equal(e.fdb.get('02:42:0a:00:01:0b'), '192.168.77.2');
  assert.equal(e.fdb.get('02:aa:0a:00:01:04'), '192.168.77.3');
  assert.equal(e.fdb.size, 4);
  assert.deepEqual(want.subnets, ['10.0.1.0/24', '10.0.2.0/24'], 'every network of the cluster, local or not');
});

test('a network pinned by a task being started is plumbed, with its peers if the table knows it', () => {
  const t = table([task('b', 'n2', { back: '10.0.2.11/24' })]);
  const want = desiredOverlay(t, 'n1', new Map([[4098, '10.0.2.2/24'], [4200, '10.0.9.5/24']]));
  assert.deepEqual([...want.networks.keys()], [4098, 4200]);
  assert.equal(want.networks.get(4098)!.internal, true);
  assert.deepEqual([...want.entries.get(4098)!.neigh.keys()], ['10.0.2.3', '10.0.2.4', '10.0.2.11']);
  assert.deepEqual(want.networks.get(4200), { vni: 4200, name: 'vni 4200', hostAddress: '10.0.9.5/24', internal: false, ingress: false });
  assert.equal(want.entries.get(4200)!.neigh.size, 0);
  assert.ok(want.subnets.includes('10.0.9.0/24'));
});

test('endpoints on this host\'s underlay address or on unknown nodes get no entry; the first claim of an IP wins', () => {
  const t = table([task('a', 'n1', { app: '10.0.1.10/24' }), task('x', 'n9', { app: '10.0.1.20/24' }), task('y', 'n2', { app: '10.0.1.21/24' }), task('z', 'n3', { app: '10.0.1.21/24' })]);
  t.nodes.push({ nodeId: 'n1b', hostname: 'h1', addr: '192.168.77.1' });
  t.tasks.push(task('w', 'n1b', { app: '10.0.1.22/24' }));
  const e = desiredOverlay(t, 'n1', new Map()).entries.get(4097)!;
  assert.ok(!e.neigh.has('10.0.1.20') && !e.neigh.has('10.0.1.22'));
  assert.equal(e.fdb.get('02:42:0a:00:01:15'), '192.168.77.2');
});

test('no local task and no pin: nothing on this host', () => {
  const want = desiredOverlay(table([task('b', 'n2', { app: '10.0.1.11/24' })]), 'n1', new Map());
  assert.equal(want.networks.size, 0);
});
