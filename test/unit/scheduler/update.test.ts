import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TaskObject, UpdateConfig } from '../../../src/cluster/types.js';
import { nodes, SECOND, serviceSpec, withHarness, type Harness } from './harness.js';

const image = (t: TaskObject) => t.Spec.ContainerSpec?.Image;

function webSpec(replicas: number, update: UpdateConfig, rollback?: UpdateConfig) {
  return serviceSpec('web', { Mode: { Replicated: { Replicas: replicas } }, UpdateConfig: { Monitor: 5 * SECOND, ...update }, ...(rollback && { RollbackConfig: rollback }) });
}

const setImage = (h: Harness, id: string, img: string) => h.updateService(id, (s) => (s.TaskTemplate = { ...s.TaskTemplate, ContainerSpec: { Image: img } }));

/** Lets the agent start tasks of `img` from now on. */
async function release(h: Harness, img: string): Promise<void> {
  const before = h.agent.outcome;
  h.agent.outcome = (t) => (image(t) === img ? 'running' : before(t));
  h.agent.loop.kick();
  await h.settle();
}

test('rolling update, parallelism 2, stop-first: two slots at a time, old task stopped first', withHarness(nodes(2), async (h) => {
  const id = await h.createService(webSpec(4, { Parallelism: 2, Order: 'stop-first' }));
  const old = h.live(id).map((t) => t.ID);
  h.agent.outcome = (t) => (image(t) === 'busybox:2' ? 'hold' : 'running');
  await setImage(h, id, 'busybox:2');

  const status = h.service(id).UpdateStatus!;
  assert.equal(status.State, 'updating');
  assert.equal(status.Message, 'update in progress');
  assert.ok(status.StartedAt);
  const live = h.live(id);
  assert.equal(live.filter((t) => image(t) === 'busybox:2').length, 2, 'two slots are being updated');
  assert.equal(live.filter((t) => image(t) === 'busybox:1').length, 2);
  for (const t of h.tasks(id).filter((t) => t.DesiredState === 'shutdown')) assert.equal(t.Status.State, 'shutdown', 'old tasks stopped before their replacements were made');

  await release(h, 'busybox:2');
  assert.deepEqual(h.live(id).map((t) => [t.Slot, image(t), t.Status.State]), [1, 2, 3, 4].map((s) => [s, 'busybox:2', 'running']));
  assert.ok(old.every((o) => h.tasks(id).find((t) => t.ID === o)!.DesiredState === 'shutdown'));
  assert.equal(h.service(id).UpdateStatus!.State, 'updating', 'watching for the monitor period');
  await h.advance(5000);
  const done = h.service(id).UpdateStatus!;
  assert.equal(done.State, 'completed');
  assert.equal(done.Message, 'update completed');
  assert.equal(done.StartedAt, status.StartedAt);
  assert.ok(done.CompletedAt);
}));

test('start-first starts the new task before stopping the old one', withHarness(nodes(2), async (h) => {
  const id = await h.createService(webSpec(2, { Parallelism: 1, Order: 'start-first' }));
  h.agent.outcome = (t) => (image(t) === 'busybox:2' ? 'hold' : 'running');
  await setImage(h, id, 'busybox:2');
  const slot1 = h.live(id).filter((t) => t.Slot === 1);
  assert.deepEqual(slot1.map((t) => [image(t), t.Status.State]), [['busybox:1', 'running'], ['busybox:2', 'assigned']]);
  assert.equal(h.live(id).filter((t) => t.Slot === 2).length, 1, 'one slot at a time');
  await release(h, 'busybox:2');
  await h.advance(5000);
  assert.deepEqual(h.live(id).map((t) => [t.Slot, image(t)]), [[1, 'busybox:2'], [2, 'busybox:2']]);
  assert.equal(h.service(id).UpdateStatus!.State, 'completed');
}));

test('the update delay separates the slots', withHarness(nodes(2), async (h) => {
  const id = await h.createService(webSpec(2, { Parallelism: 1, Delay: 10 * SECOND }));
  await setImage(h, id, 'busybox:2');
  assert.deepEqual(h.live(id).map(image), ['busybox:2', 'busybox:1']);
  await h.advance(9500);
  assert.deepEqual(h.live(id).map(image), ['busybox:2', 'busybox:1']);
  await h.advance(500);
  assert.deepEqual(h.live(id).map(image), ['busybox:2', 'busybox:2']);
  await h.advance(10_000 + 5000);
  assert.equal(h.service(id).UpdateStatus!.State, 'completed');
}));

test('changing only Replicas or UpdateConfig replaces no task and shows no update', withHarness(nodes(2), async (h) => {
  const id = await h.createService(webSpec(2, { Parallelism: 1 }));
  const before = h.live(id).map((t) => t.ID);
  await h.updateService(id, (s) => (s.UpdateConfig = { ...s.UpdateConfig, Parallelism: 2 }));
  await h.updateService(id, (s) => (s.Labels = { tier: 'front' }));
  assert.deepEqual(h.live(id).map((t) => t.ID), before);
  assert.equal(h.service(id).UpdateStatus, undefined);
  // Rolling that back is over at once, as in Docker.
  await h.rollbackService(id);
  assert.deepEqual(h.live(id).map((t) => t.ID), before);
  assert.equal(h.service(id).UpdateStatus!.State, 'rollback_completed');
  assert.equal(h.service(id).UpdateStatus!.Message, 'rollback completed');
}));

test('--force (ForceUpdate) replaces every task', withHarness(nodes(2), async (h) => {
  const id = await h.createService(webSpec(2, { Parallelism: 0 }));
  const before = h.live(id).map((t) => t.ID);
  await h.updateService(id, (s) => (s.TaskTemplate = { ...s.TaskTemplate, ForceUpdate: 1 }));
  assert.ok(h.live(id).every((t) => !before.includes(t.ID)));
  await h.advance(5000);
  assert.equal(h.service(id).UpdateStatus!.State, 'completed');
}));

test('failure action pause stops the update at the first failed task', withHarness(nodes(2), async (h) => {
  const id = await h.createService(webSpec(3, { Parallelism: 1, FailureAction: 'pause' }));
  await setImage(h, id, 'bad:2');
  const status = h.service(id).UpdateStatus!;
  assert.equal(status.State, 'paused');
  const failed = h.tasks(id).find((t) => t.Status.State === 'failed')!;
  assert.equal(status.Message, `update paused due to failure or early termination of task ${failed.ID}`);
  await h.advance(20_000);
  assert.equal(h.live(id).filter((t) => image(t) === 'busybox:1').length, 2, 'the other slots keep the old spec');
  assert.equal(h.service(id).UpdateStatus!.State, 'paused');
}));

test('failure action rollback restores the previous spec with the rollback config', withHarness(nodes(2), async (h) => {
  const id = await h.createService(webSpec(3, { Parallelism: 1, FailureAction: 'rollback' }, { Parallelism: 0, Monitor: 2 * SECOND }));
  await setImage(h, id, 'bad:2');
  const s = h.service(id);
  const failed = h.tasks(id).find((t) => t.Status.State === 'failed')!;
  assert.equal(s.Spec.TaskTemplate.ContainerSpec?.Image, 'busybox:1');
  assert.equal(s.PreviousSpec, undefined);
  assert.equal(s.UpdateStatus!.State, 'rollback_started');
  assert.equal(s.UpdateStatus!.Message, `update rolled back due to failure or early termination of task ${failed.ID}`);
  assert.deepEqual(h.live(id).map(image), ['busybox:1', 'busybox:1', 'busybox:1']);
  await h.advance(2000);
  assert.equal(h.service(id).UpdateStatus!.State, 'rollback_completed');
  assert.equal(h.service(id).UpdateStatus!.Message, 'rollback completed');
}));

test('a failure within the monitor period counts; one after it does not', withHarness(nodes(2), async (h) => {
  const id = await h.createService(webSpec(1, { FailureAction: 'pause', Monitor: 10 * SECOND }));
  await setImage(h, id, 'busybox:2');
  await h.advance(4000);
  await h.agent.exit(h.live(id)[0].ID, 1);
  assert.equal(h.service(id).UpdateStatus!.State, 'paused');

  await setImage(h, id, 'busybox:3');
  await h.advance(10_000);
  assert.equal(h.service(id).UpdateStatus!.State, 'completed');
  await h.agent.exit(h.live(id)[0].ID, 1);
  assert.equal(h.service(id).UpdateStatus!.State, 'completed');
}));

test('service rollback (rollback=previous) goes back with RollbackConfig', withHarness(nodes(2), async (h) => {
  const id = await h.createService(webSpec(2, { Parallelism: 1 }, { Parallelism: 0, Order: 'start-first', Monitor: 1 * SECOND }));
  await setImage(h, id, 'busybox:2');
  await h.advance(10_000);
  assert.equal(h.service(id).UpdateStatus!.State, 'completed');
  h.agent.outcome = (t) => (image(t) === 'busybox:1' ? 'hold' : 'running');
  await h.rollbackService(id);
  assert.equal(h.service(id).UpdateStatus!.State, 'rollback_started');
  assert.equal(h.service(id).UpdateStatus!.Message, 'manually requested rollback');
  assert.equal(h.live(id).filter((t) => image(t) === 'busybox:1').length, 2, 'parallelism 0: every slot at once, new tasks first');
  await release(h, 'busybox:1');
  assert.deepEqual(h.live(id).map(image), ['busybox:1', 'busybox:1']);
  await h.advance(1000);
  assert.equal(h.service(id).UpdateStatus!.State, 'rollback_completed');
}));

test('an update survives a daemon restart', withHarness(nodes(2), async (h) => {
  const id = await h.createService(webSpec(4, { Parallelism: 1, Delay: 10 * SECOND }));
  await setImage(h, id, 'busybox:2');
  await h.restart();
  assert.equal(h.service(id).UpdateStatus!.State, 'updating');
  await h.advance(60_000);
  assert.deepEqual(h.live(id).map(image), ['busybox:2', 'busybox:2', 'busybox:2', 'busybox:2']);
  assert.equal(h.tasks(id).length, 8);
  assert.equal(h.service(id).UpdateStatus!.State, 'completed');
}));

test('a global service rolls out node by node', withHarness(nodes(3), async (h) => {
  const id = await h.createService(serviceSpec('agent', { Mode: { Global: {} }, UpdateConfig: { Parallelism: 1, Delay: 5 * SECOND, Monitor: 0 } }));
  await setImage(h, id, 'busybox:2');
  assert.equal(h.live(id).filter((t) => image(t) === 'busybox:2').length, 1);
  await h.advance(10_000);
  assert.deepEqual(h.live(id).map(image), ['busybox:2', 'busybox:2', 'busybox:2']);
  assert.equal(h.service(id).UpdateStatus!.State, 'updating', 'the delay follows the last node too, as in swarmkit');
  await h.advance(5000);
  assert.equal(h.service(id).UpdateStatus!.State, 'completed');
}));
