import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalStore, type Store } from '../src/cluster/store/index.js';
import type { ServiceObject, TaskObject } from '../src/cluster/types.js';
import { newTask } from '../src/scheduler/orchestrator/new-task.js';
import { Scheduler } from '../src/scheduler/scheduler.js';
import { ManualClock } from '../src/util/clock.js';
import { silentLogger } from '../src/util/logger.js';
import { Harness, nodeObject, nodes, serviceSpec } from '../test/unit/scheduler/harness.js';
import { ratio, summarize, timeMs } from './stats.js';
import type { BenchSuite, Summary } from './suite.js';

const TASKS = Number(process.env.BENCH_TASKS ?? 10_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const REPLICAS = Number(process.env.BENCH_REPLICAS ?? 10_000);
const SIZES = [100, 1000, 5000];
const CONVERGE_NODES = 1000;

const SERVICE: ServiceObject = { ID: 'svc-bench', Version: { Index: 0 }, CreatedAt: '', UpdatedAt: '', Spec: serviceSpec('bench'), Endpoint: { Spec: {} } };

/**
 * The scheduler at cluster scale, on simulated nodes and the real store (journal fsynced):
 * placement throughput (TASKS pending tasks to assigned) at 100, 1,000 and 5,000 nodes, against
 * the store committing the same writes without deciding anything; and the time a
 * `service create --replicas REPLICAS` takes to have every task assigned (orchestrator,
 * allocator, scheduler), against the store committing that many new tasks.
 */
export const suite: BenchSuite = {
  name: 'scheduler',
  description: `placement of ${TASKS} pending tasks at ${SIZES.join(', ')} nodes, and --replicas ${REPLICAS} converged at ${CONVERGE_NODES} nodes, vs bare store commits`,
  async run(ctx) {
    const samples: Record<string, number[]> = { commitAssign: [], commitCreate: [], [`converge${REPLICAS}`]: [] };
    for (const size of SIZES) samples[`place@${size}`] = [];
    await withStore((store, clock) => placeAll(store, clock, SIZES[0]!)); // warms the JIT up, not counted
    for (let r = 0; r < ROUNDS; r++) {
      samples.commitAssign!.push(await withStore((store) => commitAssignments(store)));
      samples.commitCreate!.push(await withStore((store) => timeMs(() => store.update((tx) => pendingTasks(REPLICAS).forEach((t) => tx.create('tasks', t))))));
      for (const size of SIZES) {
        const ms = await withStore((store, clock) => placeAll(store, clock, size));
        samples[`place@${size}`]!.push(ms);
        ctx.progress(`round ${r + 1}: ${size} nodes: ${Math.round(TASKS / (ms / 1000))} placements/s`);
      }
      const ms = await converge();
      samples[`converge${REPLICAS}`]!.push(ms);
      ctx.progress(`round ${r + 1}: --replicas ${REPLICAS} assigned in ${ms.toFixed(0)} ms`);
    }
    const figures: Record<string, Summary> = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, summarize(v)]));
    const ratios: Record<string, number> = { [`converge${REPLICAS}/commitCreate`]: ratio(figures[`converge${REPLICAS}`]!, figures.commitCreate!) };
    for (const size of SIZES) ratios[`place@${size}/commitAssign`] = ratio(figures[`place@${size}`]!, figures.commitAssign!);
    for (const size of SIZES) ctx.progress(`${size} nodes: ${Math.round(TASKS / (figures[`place@${size}`]!.median / 1000))} placements/s (median)`);
    return { figures, ratios };
  },
};

async function withStore(fn: (store: LocalStore, clock: ManualClock) => Promise<number>): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'shoal-bench-sched-'));
  const clock = new ManualClock(Date.parse('2026-01-01T00:00:00Z'));
  const store = LocalStore.open(dir, silentLogger, clock);
  try {
    return await fn(store, clock);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function pendingTasks(n: number): TaskObject[] {
  return Array.from({ length: n }, (_, i) => {
    const t = newTask(SERVICE, i + 1, 0);
    return { ...t, Status: { ...t.Status, State: 'pending', Message: 'pending task scheduling' } };
  });
}

async function seed(store: Store, nodeCount: number): Promise<void> {
  await store.update((tx) => {
    tx.create('services', SERVICE);
    for (const n of nodes(nodeCount)) tx.create('nodes', nodeObject(n));
  });
}

/** Resolves once `n` tasks were committed as assigned. */
function assigned(store: Store, n: number): Promise<void> {
  let count = 0;
  return new Promise((resolve) => {
    const unwatch = store.watch((events) => {
      for (const e of events) if (e.table === 'tasks' && (e.object as TaskObject).Status.State === 'assigned' && (e.old as TaskObject | undefined)?.Status.State === 'pending') count++;
      if (count < n) return;
      unwatch();
      resolve();
    });
  });
}

/** Milliseconds from TASKS pending tasks committed to all of them committed as assigned, by the scheduler alone. */
async function placeAll(store: LocalStore, clock: ManualClock, nodeCount: number): Promise<number> {
  await seed(store, nodeCount);
  const scheduler = new Scheduler({ store, clock, log: silentLogger });
  scheduler.start();
  const done = assigned(store, TASKS);
  await store.update((tx) => pendingTasks(TASKS).forEach((t) => tx.create('tasks', t)));
  const ms = await timeMs(() => done);
  await scheduler.stop();
  return ms;
}

/** The baseline: the same pending tasks written as assigned, to one node, without deciding anything. */
async function commitAssignments(store: LocalStore): Promise<number> {
  await seed(store, 1);
  const tasks = await store.update((tx) => pendingTasks(TASKS).map((t) => tx.create('tasks', t)));
  return timeMs(() => store.update((tx) => tasks.forEach((t) => tx.update('tasks', { ...t, NodeID: 'n1', Status: { ...t.Status, State: 'assigned' } }))));
}

/** Milliseconds from `service create --replicas REPLICAS` to every task assigned, with every manager loop running. */
async function converge(): Promise<number> {
  const h = await Harness.start(nodes(CONVERGE_NODES));
  h.agent.outcome = () => 'hold';
  try {
    return await timeMs(() => h.createService(serviceSpec('wide', { Mode: { Replicated: { Replicas: REPLICAS } } })));
  } finally {
    await h.close();
  }
}
