import { test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import type { TaskObject } from '../../../src/cluster/types.js';
import { nodes, serviceSpec, withHarness } from './harness.js';

/**
 * Cluster scale in one process: simulated nodes, the real store, orchestrator and scheduler.
 * CI runs 1,000 nodes and SCALE_TASKS tasks (default 100,000; set it lower on a slow runner).
 */
const NODES = Number(process.env.SCALE_NODES ?? 1000);
const TASKS = Number(process.env.SCALE_TASKS ?? 100_000);
const SERVICES = 10;

const countBy = (tasks: readonly TaskObject[], key: (t: TaskObject) => string): number[] => {
  const counts = new Map<string, number>();
  for (const t of tasks) counts.set(key(t), (counts.get(key(t)) ?? 0) + 1);
  return [...counts.values()];
};

const assertEven = (counts: number[], what: string): void =>
  assert.ok(Math.max(...counts) - Math.min(...counts) <= 1, `${what}: between ${Math.min(...counts)} and ${Math.max(...counts)} tasks per node`);

test(`${TASKS} tasks of ${SERVICES} services over ${NODES} nodes`, { timeout: 600_000 }, withHarness(nodes(NODES), async (h) => {
  h.agent.outcome = () => 'hold';
  const replicas = TASKS / SERVICES;
  const started = performance.now();
  await h.store.update((tx) => {
    for (let i = 0; i < SERVICES; i++) {
      const spec = serviceSpec(`s${i}`, { Mode: { Replicated: { Replicas: replicas } } });
      tx.create('services', { ID: `svc-s${i}`, Version: { Index: 0 }, CreatedAt: '', UpdatedAt: '', Spec: spec, SpecVersion: { Index: tx.index + 1 }, Endpoint: { Spec: {} } });
    }
  });
  await h.settle();
  const assignedMs = performance.now() - started;

  const all = h.store.view((tx) => tx.list('tasks'));
  assert.equal(all.length, TASKS, 'one task per slot, none doubled');
  assert.ok(all.every((t) => t.Status.State === 'assigned' && t.NodeID && t.DesiredState === 'running'));
  assert.equal(new Set(all.map((t) => `${t.ServiceID}/${t.Slot}`)).size, TASKS, 'every slot filled once');
  assert.equal(countBy(all, (t) => t.NodeID!).length, Math.min(NODES, TASKS));
  assertEven(countBy(all, (t) => t.NodeID!), 'all services');
  for (let i = 0; i < SERVICES; i++) assertEven(countBy(h.live(`svc-s${i}`), (t) => t.NodeID!), `service s${i}`);

  const runStarted = performance.now();
  h.agent.outcome = () => 'running';
  h.agent.loop.kick();
  await h.settle();
  const runMs = performance.now() - runStarted;
  assert.ok(h.store.view((tx) => tx.list('tasks')).every((t) => t.Status.State === 'running'));
  assert.equal(h.store.view((tx) => tx.list('tasks')).length, TASKS, 'no task added once all run');
  // Timings are reported, not asserted: they depend on the machine (and on fsync).
  const rate = Math.round(TASKS / (assignedMs / 1000));
  console.log(`# ${TASKS} tasks / ${NODES} nodes: created, allocated and assigned in ${assignedMs.toFixed(0)} ms (${rate} tasks/s); all marked running and settled in ${runMs.toFixed(0)} ms`);
}));
