import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nodes, serviceSpec, withHarness } from './harness.js';

const globalSpec = (name: string, constraints?: string[]) =>
  serviceSpec(name, { Mode: { Global: {} }, TaskTemplate: { ContainerSpec: { Image: 'busybox:1' }, ...(constraints && { Placement: { Constraints: constraints } }) } });

test('a global service runs one task per node; a new node gets one; a drained node loses its own', withHarness(nodes(3), async (h) => {
  h.agent.outcome = () => 'hold';
  const id = await h.createService(globalSpec('agent'));
  for (const t of h.tasks(id)) {
    assert.equal(t.Slot, undefined);
    assert.equal(t.Status.State, 'assigned');
    assert.equal(t.Status.Message, 'scheduler confirmed task can run on preassigned node');
  }
  h.agent.outcome = () => 'running';
  h.agent.loop.kick();
  await h.settle();
  assert.deepEqual([...h.running(id).keys()].sort(), ['n1', 'n2', 'n3']);

  await h.addNode({ id: 'n4' });
  assert.deepEqual([...h.running(id).keys()].sort(), ['n1', 'n2', 'n3', 'n4']);

  const onN2 = h.running(id).get('n2')!;
  await h.editNode('n2', (n) => (n.Spec.Availability = 'drain'));
  assert.deepEqual([...h.running(id).keys()].sort(), ['n1', 'n3', 'n4']);
  const drained = h.tasks(id).find((t) => t.ID === onN2.ID)!;
  assert.equal(drained.DesiredState, 'shutdown');
  assert.equal(drained.Status.State, 'shutdown');
  assert.equal(h.tasks(id).filter((t) => t.NodeID === 'n2').length, 1, 'no replacement on the drained node');

  await h.editNode('n2', (n) => (n.Spec.Availability = 'active'));
  assert.deepEqual([...h.running(id).keys()].sort(), ['n1', 'n2', 'n3', 'n4']);
}));

test('a paused node keeps its global task but a new service skips it', withHarness(nodes(2), async (h) => {
  const a = await h.createService(globalSpec('a'));
  await h.editNode('n1', (n) => (n.Spec.Availability = 'pause'));
  assert.equal(h.running(a).size, 2);
  const b = await h.createService(globalSpec('b'));
  assert.deepEqual([...h.running(b).keys()], ['n2']);
}));

test('global constraints pick the nodes, and follow label changes', withHarness(nodes(3), async (h) => {
  await h.editNode('n1', (n) => (n.Spec.Labels = { edge: 'true' }));
  const id = await h.createService(globalSpec('edge', ['node.labels.edge==true']));
  assert.deepEqual([...h.running(id).keys()], ['n1']);
  await h.editNode('n3', (n) => (n.Spec.Labels = { edge: 'true' }));
  assert.deepEqual([...h.running(id).keys()].sort(), ['n1', 'n3']);
  await h.editNode('n1', (n) => (n.Spec.Labels = {}));
  assert.deepEqual([...h.running(id).keys()], ['n3']);
}));

test('a failed global task is restarted on its node after the delay; a down node loses its task', withHarness(nodes(2), async (h) => {
  const id = await h.createService(globalSpec('agent'));
  const first = h.running(id).get('n1')!;
  await h.agent.exit(first.ID, 1);
  assert.equal(h.running(id).size, 1);
  await h.advance(5000);
  const again = h.running(id).get('n1')!;
  assert.notEqual(again.ID, first.ID);

  await h.editNode('n2', (n) => (n.Status.State = 'down'));
  assert.deepEqual([...h.running(id).keys()], ['n1']);
  assert.ok(h.tasks(id).filter((t) => t.NodeID === 'n2').every((t) => t.DesiredState === 'shutdown'));
  await h.editNode('n2', (n) => (n.Status.State = 'ready'));
  assert.deepEqual([...h.running(id).keys()].sort(), ['n1', 'n2']);
}));

test('a removed node takes its global tasks with it', withHarness(nodes(2), async (h) => {
  const id = await h.createService(globalSpec('agent'));
  await h.store.update((tx) => tx.remove('nodes', 'n2'));
  await h.settle();
  assert.deepEqual(h.tasks(id).map((t) => t.NodeID), ['n1']);
}));
