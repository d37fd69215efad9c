import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CurrentTable, recordTableVersions } from '../../../src/cluster/dispatcher/table-versions.js';
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
