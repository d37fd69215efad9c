import { test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { nodes, serviceSpec, withHarness } from './harness.js';

test('1000 replicas over 50 nodes', withHarness(nodes(50), async (h) => {
  h.agent.outcome = () => 'hold';
  const started = performance.now();
  const id = await h.createService(serviceSpec('big', { Mode: { Replicated: { Replicas: 1000 } } }));
  const assignedMs = performance.now() - started;
  const tasks = h.live(id);
  assert.equal(tasks.length, 1000);
  assert.ok(tasks.every((t) => t.Status.State === 'assigned'));
  const perNode = new Map<string, number>();
  for (const t of tasks) perNode.set(t.NodeID!, (perNode.get(t.NodeID!) ?? 0) + 1);
  assert.deepEqual(new Set(perNode.values()), new Set([20]));

  const startRun = performance.now();
  h.agent.outcome = () => 'running';
  h.agent.loop.kick();
  await h.settle();
  assert.equal(h.running(id).size, 1000);
  const runMs = performance.now() - startRun;
  // Timing is reported, not asserted: it depends on the machine (and on fsync).
  console.log(`# 1000 replicas / 50 nodes: created, allocated and assigned in ${assignedMs.toFixed(0)} ms; orchestrator passes while all run: ${runMs.toFixed(0)} ms`);
}));
