import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nodes, serviceSpec, withHarness } from './harness.js';

const replicas = (n: number) => ({ Mode: { Replicated: { Replicas: n } } });

test('3 replicas get slots 1..3, one per node, and run', withHarness(nodes(3), async (h) => {
  const id = await h.createService(serviceSpec('web', replicas(3)));
  const tasks = h.tasks(id);
  assert.deepEqual(tasks.map((t) => t.Slot), [1, 2, 3]);
  assert.deepEqual(new Set(tasks.map((t) => t.NodeID)), new Set(['n1', 'n2', 'n3']));
  for (const t of tasks) {
    assert.equal(t.Status.State, 'running');
    assert.equal(t.DesiredState, 'running');
    assert.equal(t.SpecVersion?.Index, h.service(id).SpecVersion?.Index);
    assert.deepEqual(t.Spec, h.service(id).Spec.TaskTemplate);
  }
  assert.equal(h.service(id).UpdateStatus, undefined, 'a new service shows no update status');
}));

test('scaling 3 -> 5 keeps the running tasks; 5 -> 1 removes the highest slots', withHarness(nodes(3), async (h) => {
  const id = await h.createService(serviceSpec('web', replicas(3)));
  const before = h.tasks(id).map((t) => t.ID);
  await h.updateService(id, (s) => (s.Mode = replicas(5).Mode));
  const five = h.live(id);
  assert.deepEqual(five.map((t) => t.Slot), [1, 2, 3, 4, 5]);
  assert.deepEqual(five.slice(0, 3).map((t) => t.ID), before, 'scale-up does not touch existing tasks');
  assert.equal(h.running(id).size, 5);
  assert.equal(h.service(id).UpdateStatus, undefined, 'a scale-only change is not an update');

  await h.updateService(id, (s) => (s.Mode = replicas(1).Mode));
  assert.deepEqual(h.live(id).map((t) => t.Slot), [1]);
  assert.equal(h.live(id)[0].ID, before[0]);
  // The removed tasks were stopped by the agent, then deleted by the reaper (Docker's scale-down).
  assert.deepEqual(h.tasks(id).map((t) => t.ID), [before[0]]);
}));

test('scale-down removes the extra copies on the busiest node first, not just the highest slots', withHarness(nodes(2), async (h) => {
  await h.editNode('n2', (n) => (n.Spec.Availability = 'pause'));
  const id = await h.createService(serviceSpec('web', replicas(3))); // slots 1..3 all on n1
  await h.editNode('n2', (n) => (n.Spec.Availability = 'active'));
  await h.updateService(id, (s) => (s.Mode = replicas(4).Mode)); // slot 4 on n2
  assert.equal(h.live(id).find((t) => t.Slot === 4)!.NodeID, 'n2');
  await h.updateService(id, (s) => (s.Mode = replicas(2).Mode));
  assert.deepEqual(h.live(id).map((t) => [t.Slot, t.NodeID]), [[1, 'n1'], [4, 'n2']]);
}));

test('a drained node has its tasks shut down and replaced elsewhere', withHarness(nodes(3), async (h) => {
  const id = await h.createService(serviceSpec('web', replicas(3)));
  const onN1 = h.live(id).find((t) => t.NodeID === 'n1')!;
  await h.editNode('n1', (n) => (n.Spec.Availability = 'drain'));
  const old = h.tasks(id).find((t) => t.ID === onN1.ID)!;
  assert.equal(old.DesiredState, 'shutdown');
  assert.equal(old.Status.State, 'shutdown');
  const replacement = h.live(id).find((t) => t.Slot === onN1.Slot)!;
  assert.notEqual(replacement.ID, onN1.ID);
  assert.notEqual(replacement.NodeID, 'n1');
  assert.equal(replacement.Status.State, 'running', 'no restart delay for a drained node');
  assert.equal(h.running(id).size, 3);
}));

test('a node that goes down has its tasks replaced elsewhere after the restart delay', withHarness(nodes(3), async (h) => {
  const id = await h.createService(serviceSpec('web', replicas(3)));
  const lost = h.live(id).find((t) => t.NodeID === 'n3')!;
  await h.editNode('n3', (n) => (n.Status.State = 'down'));
  assert.equal(h.tasks(id).find((t) => t.ID === lost.ID)!.DesiredState, 'shutdown');
  assert.equal(h.live(id).length, 2, 'not replaced before the restart delay');
  await h.advance(5000);
  const replacement = h.live(id).find((t) => t.Slot === lost.Slot)!;
  assert.ok(replacement && replacement.NodeID !== 'n3');
  assert.equal(replacement.Status.State, 'running');
  // The node comes back: the agent stops the old task, and nothing is duplicated.
  await h.editNode('n3', (n) => (n.Status.State = 'ready'));
  assert.equal(h.tasks(id).find((t) => t.ID === lost.ID)!.Status.State, 'shutdown');
  assert.deepEqual(h.live(id).map((t) => t.Slot), [1, 2, 3]);
}));

test('removing a service removes all its tasks', withHarness(nodes(2), async (h) => {
  const id = await h.createService(serviceSpec('web', replicas(3)));
  await h.store.update((tx) => {
    for (const t of tx.find('tasks', 'service', id)) assert.equal(t.Status.State, 'running');
  });
  await h.removeService(id);
  assert.deepEqual(h.tasks(id), []);
}));

test('restarting the loops (daemon restart) duplicates nothing', withHarness(nodes(3), async (h) => {
  const id = await h.createService(serviceSpec('web', replicas(4)));
  const before = h.tasks(id).map((t) => t.ID);
  await h.restart();
  await h.restart();
  assert.deepEqual(h.tasks(id).map((t) => t.ID), before);
  await h.updateService(id, (s) => (s.Mode = replicas(6).Mode));
  await h.restart();
  assert.deepEqual(h.live(id).map((t) => t.Slot), [1, 2, 3, 4, 5, 6]);
  assert.equal(h.tasks(id).length, 6);
}));
