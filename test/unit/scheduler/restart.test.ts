import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RestartPolicy, TaskObject } from '../../../src/cluster/types.js';
import { nodes, SECOND, serviceSpec, withHarness, type Harness } from './harness.js';

const withPolicy = (name: string, policy: RestartPolicy) => serviceSpec(name, { TaskTemplate: { ContainerSpec: { Image: 'busybox:1' }, RestartPolicy: policy } });

const inSlot = (h: Harness, id: string, slot: number) => h.tasks(id).filter((t) => t.Slot === slot);

test('a failed task is replaced in the same slot after the default 5 s delay', withHarness(nodes(2), async (h) => {
  const id = await h.createService(serviceSpec('web'));
  const first = h.live(id)[0];
  await h.agent.exit(first.ID, 1);
  const failed = h.tasks(id).find((t) => t.ID === first.ID)!;
  assert.equal(failed.Status.State, 'failed');
  assert.equal(failed.DesiredState, 'shutdown', 'the old task is kept as history');
  assert.equal(h.live(id).length, 0);
  await h.advance(4500);
  assert.equal(h.live(id).length, 0, 'not before the delay');
  await h.advance(500);
  const [replacement] = h.live(id);
  assert.equal(replacement.Slot, 1);
  assert.equal(replacement.Status.State, 'running');
  assert.deepEqual(inSlot(h, id, 1).map((t) => t.ID), [first.ID, replacement.ID]);
}));

test('a task failing its health check is told to stop while still running (it drains first), ends failed and is replaced after the delay', withHarness(nodes(2), async (h) => {
  const id = await h.createService(serviceSpec('web'));
  const sick = h.live(id)[0];
  const seen: string[] = [];
  h.store.watch((events) => {
    for (const e of events) if (e.table === 'tasks' && e.object.ID === sick.ID) seen.push(`${(e.object as TaskObject).Status.State}/${(e.object as TaskObject).DesiredState}`);
  });
  await h.agent.unhealthy(sick.ID);
  assert.deepEqual(seen, ['running/running', 'running/shutdown', 'failed/shutdown'], 'reported unhealthy while running, told to stop, then ended');
  assert.equal(h.tasks(id).find((t) => t.ID === sick.ID)!.Status.Err, 'task: unhealthy container');
  await h.advance(4500);
  assert.equal(h.live(id).length, 0, 'not before the restart delay');
  await h.advance(500);
  assert.deepEqual(h.live(id).map((t) => t.Slot), [1]);
}));

test('--restart-delay 0 replaces a task at once; a task that exits 0 is restarted under condition any', withHarness(nodes(1), async (h) => {
  const id = await h.createService(withPolicy('web', { Condition: 'any', Delay: 0 }));
  const first = h.live(id)[0];
  await h.agent.exit(first.ID, 0);
  const [replacement] = h.live(id);
  assert.ok(replacement && replacement.ID !== first.ID);
  assert.equal(replacement.Status.State, 'running');
}));

test('condition none never restarts; the slot stays ended, even across a scale-up', withHarness(nodes(1), async (h) => {
  const id = await h.createService(withPolicy('job', { Condition: 'none', Delay: 0 }));
  await h.agent.exit(h.live(id)[0].ID, 1);
  await h.advance(10_000);
  assert.equal(h.live(id).length, 0);
  await h.updateService(id, (s) => (s.Mode = { Replicated: { Replicas: 2 } }));
  assert.deepEqual(h.live(id).map((t) => t.Slot), [2], 'slot 1 still counts: only slot 2 is added');
}));

test('condition on-failure restarts a failure but not a clean exit', withHarness(nodes(1), async (h) => {
  const id = await h.createService(withPolicy('web', { Condition: 'on-failure', Delay: 0 }));
  await h.agent.exit(h.live(id)[0].ID, 1);
  const second = h.live(id)[0];
  assert.ok(second, 'restarted after a failure');
  await h.agent.exit(second.ID, 0);
  await h.advance(10_000);
  assert.equal(h.live(id).length, 0, 'not restarted after exit 0');
}));

test('MaxAttempts caps the restarts of a slot', withHarness(nodes(1), async (h) => {
  const id = await h.createService(withPolicy('web', { Condition: 'any', Delay: 0, MaxAttempts: 2 }));
  for (let i = 0; i < 3; i++) await h.agent.exit(h.live(id)[0].ID, 1);
  await h.advance(10_000);
  assert.equal(h.live(id).length, 0);
  assert.equal(inSlot(h, id, 1).length, 3, 'the first task and 2 restarts');
}));

test('MaxAttempts within a Window counts only the restarts in the window', withHarness(nodes(1), async (h) => {
  const id = await h.createService(withPolicy('web', { Condition: 'any', Delay: 0, MaxAttempts: 1, Window: 10 * SECOND }));
  await h.agent.exit(h.live(id)[0].ID, 1); // restart 1
  await h.advance(20_000);
  await h.agent.exit(h.live(id)[0].ID, 1); // the first restart is out of the window: restart 2
  assert.equal(h.live(id).length, 1);
  await h.agent.exit(h.live(id)[0].ID, 1); // restart 2 is in the window: no more
  assert.equal(h.live(id).length, 0);
}));

test('a task that keeps failing to start is restarted after each delay', withHarness(nodes(2), async (h) => {
  h.agent.outcome = () => 'failed';
  const id = await h.createService(serviceSpec('web'));
  assert.equal(h.tasks(id).length, 1);
  await h.advance(5000);
  assert.equal(h.tasks(id).length, 2);
  await h.advance(5000);
  assert.equal(h.tasks(id).length, 3);
  assert.ok(h.tasks(id).every((t) => t.Slot === 1));
}));

test('task history is limited per slot (TaskHistoryRetentionLimit)', withHarness(nodes(1), async (h) => {
  const id = await h.createService(withPolicy('web', { Condition: 'any', Delay: 0 }));
  for (let i = 0; i < 6; i++) await h.agent.exit(h.live(id)[0].ID, 1);
  const slot = inSlot(h, id, 1);
  assert.equal(slot.length, 3);
  assert.equal(slot.filter((t) => t.DesiredState === 'running').length, 1, 'the live task is kept');
}, { retention: 3 }));

test('a pending restart survives a daemon restart without duplicates', withHarness(nodes(1), async (h) => {
  const id = await h.createService(serviceSpec('web'));
  await h.agent.exit(h.live(id)[0].ID, 1);
  await h.advance(2000);
  await h.restart();
  assert.equal(h.live(id).length, 0, 'the restart delay still runs');
  await h.advance(3000);
  assert.equal(h.live(id).length, 1);
  await h.restart();
  assert.equal(h.live(id).length, 1);
  assert.equal(h.tasks(id).length, 2);
}));
