import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SessionState } from '../../../src/cluster/dispatcher/session-state.js';
import { CurrentTable } from '../../../src/cluster/dispatcher/table-versions.js';
import { deriveEndpointTable } from '../../../src/cluster/endpoints/derive.js';
import { mutable } from '../../../src/cluster/store/index.js';
import type { TaskObject } from '../../../src/cluster/types.js';
import { NODE_ID, cliServiceSpec, openStore, runningTask } from '../controlapi/fixture.js';

test('a host reconnecting while one of its tasks is held by the drain barrier gets that task as last sent, not a set without it', async () => {
  const { store, close } = await openStore();
  try {
    const svc = { Spec: cliServiceSpec('web') };
    await store.update((tx) => {
      tx.create('tasks', runningTask('svc1', 1, svc));
      tx.create('tasks', runningTask('svc1', 2, svc));
    });
    const current = new CurrentTable();
    const push = (state: SessionState, maySend: (t: TaskObject) => boolean) =>
      store.view((tx) => {
        const { table, json } = current.next(deriveEndpointTable(tx));
        return state.next(tx, table, json, 1000, [], maySend);
      });
    const held = (t: TaskObject) => t.DesiredState !== 'shutdown';

    const first = new SessionState(NODE_ID);
    const full = push(first, held)!;
    assert.equal(full.kind, 'full');
    assert.equal(full.tasks.length, 2);
    const [stopping] = store.view((tx) => tx.find('tasks', 'node', NODE_ID));
    await store.update((tx) => {
      const t = mutable(tx.get('tasks', stopping!.ID)!);
      t.DesiredState = 'shutdown';
      tx.update('tasks', t);
    });
    const update = push(first, held);
    assert.deepEqual(update?.tasks, [], 'the stop is held back (only the table, with the task draining, goes out)');

    // The session drops and the host opens a new one: its full set still has the task, wanted running.
    const resumed = new SessionState(NODE_ID, first);
    const again = push(resumed, held)!;
    assert.equal(again.kind, 'full');
    assert.deepEqual(again.tasks.map((t) => [t.ID, t.DesiredState]).sort(), full.tasks.map((t) => [t.ID, 'running']).sort());
    // Released: the stop goes out in the next message.
    const released = push(resumed, () => true)!;
    assert.deepEqual(released.tasks.map((t) => [t.ID, t.DesiredState]), [[stopping!.ID, 'shutdown']]);

    // A host with no earlier session to resume from (or a task never sent) just does not get the held task.
    const fresh = push(new SessionState(NODE_ID), held)!;
    assert.deepEqual(fresh.tasks.map((t) => t.ID), full.tasks.map((t) => t.ID).filter((id) => id !== stopping!.ID));
  } finally {
    await close();
  }
});
