import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalStore, mutable, slotKey, type StoreEvent } from '../../../src/cluster/store/index.js';
import type { ClusterObject, NodeObject, ServiceObject, ServiceSpec, TaskObject, TaskState } from '../../../src/cluster/types.js';
import { startManagerLoops } from '../../../src/scheduler/index.js';
import { ReconcileLoop } from '../../../src/scheduler/loop.js';
import { UNHEALTHY_ERR, failedHealthCheck } from '../../../src/cluster/task-health.js';
import { isOnNode, isRunDesired, stateRank } from '../../../src/scheduler/task-states.js';
import { ManualClock } from '../../../src/util/clock.js';
import { silentLogger } from '../../../src/util/logger.js';

export const SECOND = 1e9;

export interface NodeInit {
  id: string;
  labels?: Record<string, string>;
  state?: NodeObject['Status']['State'];
  availability?: NodeObject['Spec']['Availability'];
  role?: NodeObject['Spec']['Role'];
  nanoCPUs?: number;
  memoryBytes?: number;
}

export function nodeObject(n: NodeInit): NodeObject {
  return {
    ID: n.id,
    Version: { Index: 0 },
    CreatedAt: '',
    UpdatedAt: '',
    Spec: { Labels: n.labels ?? {}, Role: n.role ?? 'worker', Availability: n.availability ?? 'active' },
    Description: {
      Hostname: `host-${n.id}`,
      Platform: { Architecture: 'x86_64', OS: 'linux' },
      Resources: { NanoCPUs: n.nanoCPUs ?? 4e9, MemoryBytes: n.memoryBytes ?? 8 * 2 ** 30 },
      Engine: { EngineVersion: '0', Plugins: [] },
      TLSInfo: { TrustRoot: '', CertIssuerSubject: '', CertIssuerPublicKey: '' },
    },
    Status: { State: n.state ?? 'ready', Addr: '10.0.0.1' },
  };
}

export function serviceSpec(name: string, spec: Partial<ServiceSpec> = {}): ServiceSpec {
  return {
    Name: name,
    Labels: {},
    TaskTemplate: { ContainerSpec: { Image: 'busybox:1' }, ...spec.TaskTemplate },
    Mode: { Replicated: { Replicas: 1 } },
    ...spec,
  };
}

/** What the fake agent does with a task it is asked to run. */
export type Outcome = 'running' | 'failed' | 'complete' | 'hold';

/**
 * Stands in for the agents: starts assigned tasks (straight to `running`, or as `outcome`
 * says), stops tasks told to stop, and leaves alone tasks on nodes that are not ready (a node
 * that is down does not answer).
 */
class FakeAgent {
  outcome: (task: TaskObject) => Outcome = (t) => (t.Spec.ContainerSpec?.Image.startsWith('bad') ? 'failed' : 'running');
  readonly loop: ReconcileLoop;

  constructor(private readonly h: Harness) {
    this.loop = new ReconcileLoop(() => this.pass(), silentLogger);
    h.store.watch(() => this.loop.kick());
  }

  /** The task's process exits: `complete` with code 0, `failed` otherwise. */
  async exit(taskId: string, code: number): Promise<void> {
    await this.h.store.update((tx) => {
      const t = tx.get('tasks', taskId)!;
      tx.update('tasks', withState(t, code === 0 ? 'complete' : 'failed', this.h.clock, code === 0 ? undefined : `task: non-zero exit (${code})`));
    });
    await this.h.settle();
  }

  /** The task fails its health check: reported while it keeps running, as the agent does; it ends `failed` once told to stop. */
  async unhealthy(taskId: string): Promise<void> {
    await this.h.store.update((tx) => tx.update('tasks', withState(tx.get('tasks', taskId)!, 'running', this.h.clock, UNHEALTHY_ERR)));
    await this.h.settle();
  }

  private async pass(): Promise<void> {
    await this.h.store.update((tx) => {
      // Read every node's tasks before the first write: a lookup by index after a write scans the table.
      const tasks = tx.list('nodes').filter((n) => n.Status.State === 'ready').flatMap((n) => tx.find('tasks', 'node', n.ID));
      for (const t of tasks) {
        if (!isRunDesired(t.DesiredState) && isOnNode(t)) tx.update('tasks', failedHealthCheck(t) ? withState(t, 'failed', this.h.clock, UNHEALTHY_ERR) : withState(t, 'shutdown', this.h.clock));
        else if (isRunDesired(t.DesiredState) && t.Status.State === 'assigned') {
          const outcome = this.outcome(t);
          if (outcome === 'failed') tx.update('tasks', withState(t, 'failed', this.h.clock, 'task: non-zero exit (1)'));
          else if (outcome !== 'hold') tx.update('tasks', withState(t, outcome, this.h.clock));
        }
      }
    });
  }
}

function withState(t: TaskObject, state: TaskState, clock: ManualClock, err?: string): TaskObject {
  const copy = mutable(t);
  copy.Status = { ...copy.Status, State: state, Message: state === 'running' ? 'started' : state, Timestamp: new Date(clock.now()).toISOString() };
  if (err) copy.Status.Err = err;
  return copy;
}

/** Stands in for the allocator: moves new tasks to pending. */
function startFakeAllocator(store: LocalStore, clock: ManualClock): void {
  const loop = new ReconcileLoop(async () => {
    await store.update((tx) => {
      for (const t of tx.find('tasks', 'desired', 'running')) {
        if (t.Status.State !== 'new') continue;
        const copy = mutable(t);
        copy.Status = { ...copy.Status, State: 'pending', Message: 'pending task scheduling', Timestamp: new Date(clock.now()).toISOString() };
        tx.update('tasks', copy);
      }
    });
  }, silentLogger);
  store.watch((events) => {
    if (events.some((e) => e.table === 'tasks' && e.action !== 'remove' && (e.object as TaskObject).Status.State === 'new')) loop.kick();
  });
}

/**
 * Checks after every commit that task states and desired states only moved forward, and that
 * no task was added to a slot that already had one the managers want running — except by a
 * start-first update, where the new task starts before the old one stops, as in Docker (and
 * never more than two).
 */
class Invariants {
  readonly violations: string[] = [];

  constructor(private readonly store: LocalStore) {
    store.watch((events) => this.check(events));
  }

  private check(events: StoreEvent[]): void {
    const added = new Map<string, TaskObject>();
    for (const e of events) {
      if (e.table !== 'tasks') continue;
      const t = e.object as TaskObject;
      const old = e.old as TaskObject | undefined;
      if (old && e.action === 'update') {
        if (stateRank(t.Status.State) < stateRank(old.Status.State)) this.violations.push(`task ${t.ID} state ${old.Status.State} -> ${t.Status.State}`);
        if (stateRank(t.DesiredState) < stateRank(old.DesiredState)) this.violations.push(`task ${t.ID} desired ${old.DesiredState} -> ${t.DesiredState}`);
      }
      if (e.action === 'create') added.set(t.Slot ? slotKey(t.ServiceID, t.Slot) : slotKey(t.ServiceID, t.NodeID ?? ''), t);
    }
    this.store.view((tx) => {
      for (const [key, task] of added) {
        const live = tx.find('tasks', 'slot', key).filter((t) => t.DesiredState === 'running');
        const service = tx.get('services', task.ServiceID);
        const startFirst = service?.Spec.UpdateConfig?.Order === 'start-first' || service?.Spec.RollbackConfig?.Order === 'start-first';
        if (live.length > (startFirst ? 2 : 1)) this.violations.push(`slot ${key} has ${live.length} tasks desired running`);
      }
    });
  }
}

export class Harness {
  readonly clock = new ManualClock(Date.parse('2026-01-01T00:00:00Z'));
  store: LocalStore;
  agent!: FakeAgent;
  private invariants!: Invariants;
  private stopLoops?: () => Promise<void>;

  private constructor(readonly dir: string) {
    this.store = LocalStore.open(dir, silentLogger, this.clock);
    this.attach();
  }

  static async start(nodes: NodeInit[] = [], opts: { retention?: number; loops?: boolean } = {}): Promise<Harness> {
    const h = new Harness(mkdtempSync(join(tmpdir(), 'shoal-sched-')));
    await h.store.update((tx) => {
      for (const n of nodes) tx.create('nodes', nodeObject(n));
      if (opts.retention !== undefined) {
        const spec = { Orchestration: { TaskHistoryRetentionLimit: opts.retention } };
        tx.create('cluster', { ID: 'cluster', Version: { Index: 0 }, CreatedAt: '', UpdatedAt: '', Spec: spec } as unknown as ClusterObject);
      }
    });
    if (opts.loops !== false) h.startLoops();
    await h.settle();
    return h;
  }

  startLoops(): void {
    this.stopLoops = startManagerLoops({ store: this.store, clock: this.clock, log: silentLogger });
  }

  /** Simulates a daemon restart: stops the loops, reopens the store from disk, starts them again. */
  async restart(): Promise<void> {
    await this.stopLoops?.();
    await this.store.close();
    this.store = LocalStore.open(this.dir, silentLogger, this.clock);
    this.attach();
    this.startLoops();
    await this.settle();
  }

  private attach(): void {
    const previous = this.invariants?.violations ?? [];
    this.invariants = new Invariants(this.store);
    this.invariants.violations.push(...previous);
    const outcome = this.agent?.outcome;
    this.agent = new FakeAgent(this);
    if (outcome) this.agent.outcome = outcome;
    startFakeAllocator(this.store, this.clock);
  }

  /** Waits until every loop is done: they all run on promises, so nothing is left once the store stops changing over a turn of the event loop. */
  async settle(): Promise<void> {
    for (;;) {
      const before = this.store.view((tx) => tx.index);
      await new Promise((r) => setImmediate(r));
      if (this.store.view((tx) => tx.index) === before) return;
    }
  }

  /** Moves the clock forward one step at a time, letting the loops react at each step. */
  async advance(ms: number, stepMs = 500): Promise<void> {
    for (let left = ms; left > 0; left -= stepMs) {
      this.clock.advance(Math.min(stepMs, left));
      await this.settle();
    }
  }

  async close(checkInvariants = true): Promise<void> {
    if (checkInvariants) assert.deepEqual(this.invariants.violations, [], 'task invariants');
    await this.stopLoops?.();
    await this.store.close();
    rmSync(this.dir, { recursive: true, force: true });
  }

  async createService(spec: ServiceSpec): Promise<string> {
    const s = await this.store.update((tx) =>
      tx.create('services', { ID: `svc-${spec.Name}`, Version: { Index: 0 }, CreatedAt: '', UpdatedAt: '', Spec: spec, SpecVersion: { Index: tx.index + 1 }, Endpoint: { Spec: {} } }),
    );
    await this.settle();
    return s.ID;
  }

  /** What controlapi does on `service update`: keeps the old spec, clears UpdateStatus, bumps SpecVersion. */
  async updateService(id: string, edit: (spec: ServiceSpec) => void): Promise<void> {
    await this.store.update((tx) => {
      const s = mutable(tx.get('services', id)!);
      s.PreviousSpec = structuredClone(s.Spec);
      edit(s.Spec);
      delete s.UpdateStatus;
      s.SpecVersion = { Index: tx.index + 1 };
      tx.update('services', s);
    });
    await this.settle();
  }

  /** What controlapi does on `service rollback` (`rollback=previous`). */
  async rollbackService(id: string): Promise<void> {
    await this.store.update((tx) => {
      const s = mutable(tx.get('services', id)!);
      [s.Spec, s.PreviousSpec] = [s.PreviousSpec!, s.Spec];
      s.UpdateStatus = { State: 'rollback_started', StartedAt: new Date(this.clock.now()).toISOString(), Message: 'manually requested rollback' };
      s.SpecVersion = { Index: tx.index + 1 };
      tx.update('services', s);
    });
    await this.settle();
  }

  async removeService(id: string): Promise<void> {
    await this.store.update((tx) => tx.remove('services', id));
    await this.settle();
  }

  async editNode(id: string, edit: (n: NodeObject) => void): Promise<void> {
    await this.store.update((tx) => {
      const n = mutable(tx.get('nodes', id)!);
      edit(n);
      tx.update('nodes', n);
    });
    await this.settle();
  }

  async addNode(n: NodeInit): Promise<void> {
    await this.store.update((tx) => tx.create('nodes', nodeObject(n)));
    await this.settle();
  }

  service(id: string): ServiceObject {
    return this.store.view((tx) => tx.get('services', id)!);
  }

  tasks(serviceId: string): TaskObject[] {
    return this.store.view((tx) => tx.find('tasks', 'service', serviceId)).sort((a, b) => (a.Slot ?? 0) - (b.Slot ?? 0) || a.CreatedAt.localeCompare(b.CreatedAt));
  }

  /** The tasks the managers want running. */
  live(serviceId: string): TaskObject[] {
    return this.tasks(serviceId).filter((t) => t.DesiredState === 'running');
  }

  /** Live tasks that are running, by slot (or node, for global services). */
  running(serviceId: string): Map<number | string, TaskObject> {
    const out = new Map<number | string, TaskObject>();
    for (const t of this.live(serviceId)) if (t.Status.State === 'running') out.set(t.Slot ?? t.NodeID!, t);
    return out;
  }
}

/** Runs a test body against a fresh harness and always checks the invariants and cleans up. */
export function withHarness(nodes: NodeInit[], body: (h: Harness) => Promise<void>, opts?: { retention?: number }): () => Promise<void> {
  return async () => {
    const h = await Harness.start(nodes, opts);
    try {
      await body(h);
    } catch (err) {
      await h.close(false);
      throw err;
    }
    await h.close();
  };
}

export const nodes = (n: number, init: Partial<NodeInit> = {}): NodeInit[] => Array.from({ length: n }, (_, i) => ({ id: `n${i + 1}`, ...init }));
