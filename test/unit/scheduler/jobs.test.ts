import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RestartPolicy, ServiceMode } from '../../../src/cluster/types.js';
import { nodes, serviceSpec, withHarness, type Harness } from './harness.js';

const jobSpec = (name: string, mode: ServiceMode, policy: RestartPolicy = { Condition: 'on-failure', Delay: 0 }) =>
  serviceSpec(name, { Mode: mode, TaskTemplate: { ContainerSpec: { Image: 'busybox:1' }, RestartPolicy: policy } });

const completed = (h: Harness, id: string) => h.tasks(id).filter((t) => t.Status.State === 'complete');
const inProgress = (h: Harness, id: string) => h.live(id).filter((t) => t.Status.State === 'running');

test('replicated job: MaxConcurrent at a time until TotalCompletions; completed tasks are not restarted', withHarness(nodes(3), async (h) => {
  const id = await h.createService(jobSpec('batch', { ReplicatedJob: { TotalCompletions: 5, MaxConcurrent: 2 } }));
  assert.deepEqual(inProgress(h, id).map((t) => t.Slot), [1, 2]);
  for (let done = 1; done <= 5; done++) {
    await h.agent.exit(inProgress(h, id)[0].ID, 0);
    assert.equal(completed(h, id).length, done);
    assert.equal(inProgress(h, id).length, Math.min(2, 5 - done));
  }
  await h.advance(30_000);
  assert.equal(h.tasks(id).length, 5, 'done: nothing more is created');
  assert.deepEqual(completed(h, id).map((t) => t.Slot).sort(), [1, 2, 3, 4, 5]);
  assert.deepEqual([...new Set(completed(h, id).map((t) => t.DesiredState))], ['complete'], 'a finished job task shows Complete as its desired state, as in Docker');
}));

test('replicated job: a failed task is retried in its slot per the restart policy; a slot whose policy gives up finishes the job', withHarness(nodes(1), async (h) => {
  const id = await h.createService(jobSpec('retry', { ReplicatedJob: { TotalCompletions: 2, MaxConcurrent: 1 } }, { Condition: 'on-failure', Delay: 0, MaxAttempts: 1 }));
  await h.agent.exit(inProgress(h, id)[0].ID, 1);
  const [retry] = inProgress(h, id);
  assert.equal(retry.Slot, 1, 'same slot, one attempt allowed');
  await h.agent.exit(retry.ID, 1);
  const [next] = inProgress(h, id);
  assert.equal(next.Slot, 2, 'slot 1 gave up: the job moves on');
  await h.agent.exit(next.ID, 0);
  await h.advance(10_000);
  assert.equal(h.live(id).filter((t) => t.Status.State !== 'complete').length, 0);
  assert.equal(h.tasks(id).length, 3);
}));

test('updating a job runs it again: the earlier run stops, the new one starts from slot 1', withHarness(nodes(2), async (h) => {
  const id = await h.createService(jobSpec('again', { ReplicatedJob: { TotalCompletions: 3, MaxConcurrent: 2 } }));
  const first = inProgress(h, id);
  await h.agent.exit(first[0].ID, 0);
  await h.updateService(id, (s) => (s.Labels = { run: '2' }));
  const firstRun = new Set([first[0].ID, first[1].ID]);
  const stillRunning = h.tasks(id).filter((t) => firstRun.has(t.ID) && t.Status.State !== 'complete');
  assert.ok(stillRunning.every((t) => t.DesiredState === 'shutdown' && t.Status.State === 'shutdown'));
  const run2 = inProgress(h, id);
  assert.deepEqual(run2.map((t) => t.Slot), [1, 2]);
  assert.ok(run2.every((t) => t.SpecVersion?.Index === h.service(id).SpecVersion?.Index));
}));

test('global job: one task to completion per node, new nodes included; a drained node gets none', withHarness(nodes(3), async (h) => {
  const id = await h.createService(jobSpec('sweep', { GlobalJob: {} }));
  assert.deepEqual([...h.running(id).keys()].sort(), ['n1', 'n2', 'n3']);
  for (const t of inProgress(h, id).filter((t) => t.NodeID !== 'n3')) await h.agent.exit(t.ID, 0);
  await h.editNode('n3', (n) => (n.Spec.Availability = 'drain'));
  await h.advance(10_000);
  assert.deepEqual(completed(h, id).map((t) => t.NodeID).sort(), ['n1', 'n2']);
  assert.equal(h.tasks(id).filter((t) => t.NodeID === 'n3').length, 1, 'no replacement on the drained node');
  assert.equal(h.live(id).filter((t) => t.NodeID === 'n3').length, 0);

  await h.addNode({ id: 'n4' });
  const [late] = inProgress(h, id);
  assert.equal(late.NodeID, 'n4');
  await h.agent.exit(late.ID, 0);
  await h.advance(10_000);
  assert.equal(inProgress(h, id).length, 0);
  assert.deepEqual(completed(h, id).map((t) => t.DesiredState), ['complete', 'complete', 'complete']);
  assert.equal(h.tasks(id).length, 4, 'completed tasks are not restarted');
}));

test('global job: a failed task is restarted on its node (on-failure)', withHarness(nodes(1), async (h) => {
  const id = await h.createService(jobSpec('once', { GlobalJob: {} }));
  const [first] = inProgress(h, id);
  await h.agent.exit(first.ID, 1);
  const [retry] = inProgress(h, id);
  assert.ok(retry && retry.ID !== first.ID && retry.NodeID === 'n1');
  await h.agent.exit(retry.ID, 0);
  await h.advance(10_000);
  assert.equal(h.tasks(id).length, 2);
}));
