import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AppliedVersions, CurrentTable, recordTableVersions } from '../../../src/cluster/dispatcher/table-versions.js';
import { deriveEndpointTable } from '../../../src/cluster/endpoints/derive.js';
import { shapeNode } from '../../../src/api/shape/node.js';
import { NODE_ID, openStore } from '../controlapi/fixture.js';

test('the managers keep a table version until its content changes, so every host is sent the same one', async () => {
  const { store, close } = await openStore();
  try {
    const current = new CurrentTable();
    const first = current.next(store.view((tx) => deriveEndpointTable(tx)));
    assert.ok(first.table.version > 0);
    assert.equal(current.currentVersion, first.table.version);

    // A store change that the table does not show (a label) keeps the version.
    await store.update((tx) => {
      const c = structuredClone(tx.list('cluster')[0]!);
      c.Spec.Labels = { touched: 'yes' };
      tx.update('cluster', c);
    });
    const same = current.next(store.view((tx) => deriveEndpointTable(tx)));
    assert.equal(same.table.version, first.table.version);
    assert.equal(same.json, first.json);

    // A change it shows (the host's address) moves it to the index of that change.
    await store.update((tx) => {
      const n = structuredClone(tx.get('nodes', NODE_ID)!);
      n.Status.Addr = '10.250.0.9';
      tx.update('nodes', n);
    });
    const changed = current.next(store.view((tx) => deriveEndpointTable(tx)));
    assert.equal(changed.table.version, store.view((tx) => tx.index));
    assert.ok(changed.table.version > first.table.version);
  } finally {
    await close();
  }
});

test('a host\'s applied table version is recorded on its node once per change and shown under ShoalEndpointTable', async () => {
  const { store, close } = await openStore();
  try {
    await store.update((tx) => recordTableVersions(tx, NODE_ID, 7, 9));
    const lagging = store.view((tx) => tx.get('nodes', NODE_ID)!);
    assert.deepEqual(lagging.EndpointTableVersions, { Applied: 7, Managers: 9 });
    const shown = shapeNode(lagging) as Record<string, unknown>;
    assert.deepEqual(shown['ShoalEndpointTable'], { AppliedVersion: 7, ManagersVersion: 9 });
    assert.equal('EndpointTableVersions' in shown, false);
    assert.equal('SpecVersion' in shown, false);

    // The same report again writes nothing.
    const before = store.view((tx) => tx.index);
    await store.update((tx) => recordTableVersions(tx, NODE_ID, 7, 9));
    assert.equal(store.view((tx) => tx.index), before);

    await store.update((tx) => recordTableVersions(tx, NODE_ID, 9, 9));
    assert.deepEqual(store.view((tx) => tx.get('nodes', NODE_ID)!.EndpointTableVersions), { Applied: 9, Managers: 9 });
    // Unknown nodes (removed meanwhile) are left alone.
    await store.update((tx) => recordTableVersions(tx, 'gone', 1, 1));
  } finally {
    await close();
  }
});

test('the hosts\' applied versions stay in the leader\'s memory; the store gets them in one write when persisted', async () => {
  const { store, close } = await openStore();
  try {
    const versions = new AppliedVersions();
    const node = () => store.view((tx) => tx.get('nodes', NODE_ID)!);
    const before = store.view((tx) => tx.index);
    // Reports after each table change: no store write, the memory answers.
    for (let v = 10; v <= 20; v++) assert.equal(versions.report(NODE_ID, v, 20), true);
    assert.equal(versions.report(NODE_ID, 20, 20), false, 'the same report again changes nothing');
    assert.equal(store.view((tx) => tx.index), before, 'no Raft write per report');
    assert.equal(versions.applied(node()), 20);
    // At the heartbeat period: one write with the latest report; again with nothing new: none.
    await store.update((tx) => versions.persist(tx));
    assert.equal(store.view((tx) => tx.index), before + 1);
    assert.deepEqual(node().EndpointTableVersions, { Applied: 20, Managers: 20 });
    await store.update((tx) => versions.persist(tx));
    assert.equal(store.view((tx) => tx.index), before + 1);
    // A new leader starts with no reports: it reads the store until the host reports to it.
    const fresh = new AppliedVersions();
    assert.equal(fresh.applied(node()), 20);
    fresh.report(NODE_ID, 21, 21);
    assert.equal(fresh.applied(node()), 21);
  } finally {
    await close();
  }
});
