import { ManualClock } from '../../src/util/clock.js';
import { silentLogger } from '../../src/util/logger.js';
import { RaftStore } from '../../src/cluster/raft/raft-store.js';
import { MemoryStorage } from '../../src/cluster/raft/storage/memory-storage.js';
import { MemoryNetwork } from '../../src/cluster/raft/transport/memory.js';
import { bootstrapEntries } from '../../src/cluster/raft/core/conf-change.js';
import type { NodeId } from '../../src/cluster/raft/core/types.js';
import { Prng } from './prng.js';
import { SafetyChecker } from './safety.js';

export interface Faults {
  /** Per message. */
  drop: number;
  duplicate: number;
  /** Delivery delay in ms, uniform: a wide range reorders. */
  maxDelayMs: number;
  /** Per simulated millisecond. */
  partition: number;
  heal: number;
  crash: number;
  restart: number;
  /** Of crashes, the share that happen in the middle of a log write (torn, not fsynced). */
  tornWrite: number;
}

export const defaultFaults: Faults = { drop: 0.05, duplicate: 0.02, maxDelayMs: 8, partition: 0.002, heal: 0.004, crash: 0.0015, restart: 0.01, tornWrite: 0.3 };

interface SimNode {
  id: NodeId;
  storage: MemoryStorage;
  store?: RaftStore;
}

/**
 * Raft stores in one process on a simulated network and simulated disks, all driven by one
 * ManualClock and one seeded PRNG: the same seed replays the same run.
 */
export class SimCluster {
  readonly clock = new ManualClock(0);
  readonly rng: Prng;
  readonly net: MemoryNetwork;
  readonly nodes = new Map<NodeId, SimNode>();
  readonly safety = new SafetyChecker();
  /** Links cut, as `from→to`. */
  private readonly cut = new Set<string>();
  readonly events: string[] = [];

  /**
   * `grown`: the cluster starts as its first member alone and `grow()` adds the others one at a
   * time, as `swarm init` and `swarm join` do; otherwise all are members from the start.
   */
  constructor(
    seed: number,
    size: number,
    readonly faults: Faults = defaultFaults,
    grown = false,
    private readonly commitTimeoutMs = 600,
  ) {
    this.rng = new Prng(seed);
    this.net = new MemoryNetwork((from, to, deliver, lost) => this.deliver(from, to, deliver, lost));
    const ids = Array.from({ length: size }, (_, i) => `m${i + 1}`);
    const entries = bootstrapEntries((grown ? ids.slice(0, 1) : ids).map((id) => ({ node: id, context: id })));
    for (const id of ids) {
      const storage = new MemoryStorage();
      if (id === ids[0] || !grown) void storage.save({ term: 1, vote: '', commit: entries.length }, entries);
      storage.syncDelay = (synced) => this.clock.setTimeout(synced, this.rng.int(0, 2));
      this.nodes.set(id, { id, storage });
    }
  }

  get ids(): NodeId[] {
    return [...this.nodes.keys()];
  }

  live(): RaftStore[] {
    return [...this.nodes.values()].flatMap((n) => (n.store && !n.store.node.isStopped ? [n.store] : []));
  }

  async startAll(): Promise<void> {
    for (const id of this.nodes.keys()) await this.start(id);
  }

  async start(id: NodeId): Promise<void> {
    const n = this.nodes.get(id)!;
    const store = new RaftStore({
      id,
      storage: n.storage,
      transport: this.net.transport(id),
      clock: this.clock,
      log: silentLogger,
      tickMs: 10,
      raft: { random: () => this.rng.next() },
      schedule: (fn) => this.clock.setTimeout(fn, 0),
      snapshotEvery: 40,
      keepEntries: 5,
      commitTimeoutMs: this.commitTimeoutMs,
    });
    store.node.on('fatal', () => this.crash(id, 'torn write'));
    n.store = store;
    await store.start();
    this.events.push(`${this.clock.now()} start ${id}`);
  }

  /** Adds every member but the first through the leader, one membership change at a time. */
  async grow(): Promise<void> {
    for (const id of this.ids.slice(1)) {
      for (let attempt = 1; ; attempt++) {
        const leader = this.live().find((s) => s.isLeader());
        try {
          if (!leader) throw new Error(`no leader to add ${id}`);
          await this.until(leader.addMember(id, id), 5000);
          break;
        } catch (err) {
          // no leader yet, leadership moved, or the change did not commit in time: try again
          if (attempt >= 20) throw err;
          await this.run(50, false);
        }
      }
      this.events.push(`${this.clock.now()} added ${id}`);
    }
  }

  crash(id: NodeId, why = 'crash'): void {
    const n = this.nodes.get(id)!;
    if (!n.store) return;
    void n.store.node.stop();
    n.storage.crash();
    this.net.detach(id);
    n.store = undefined;
    this.events.push(`${this.clock.now()} ${why} ${id}`);
  }

  isolate(id: NodeId): void {
    for (const other of this.nodes.keys()) {
      if (other === id) continue;
      this.cut.add(`${id}→${other}`);
      this.cut.add(`${other}→${id}`);
    }
    this.events.push(`${this.clock.now()} isolate ${id}`);
  }

  /** Drops what `from` sends to `to` (one way) until heal(). */
  cutLink(from: NodeId, to: NodeId): void {
    this.cut.add(`${from}→${to}`);
    this.events.push(`${this.clock.now()} cut ${from}→${to}`);
  }

  /** Splits the members in two random groups. */
  partition(): void {
    const ids = this.ids;
    const side = new Set(ids.filter(() => this.rng.chance(0.5)));
    for (const a of ids) for (const b of ids) if (side.has(a) !== side.has(b)) this.cut.add(`${a}→${b}`);
    this.events.push(`${this.clock.now()} partition ${[...side].join(',')} | ${ids.filter((i) => !side.has(i)).join(',')}`);
  }

  heal(): void {
    this.cut.clear();
    this.events.push(`${this.clock.now()} heal`);
  }

  /** One simulated millisecond: faults may strike, timers fire, promises settle, invariants are checked. */
  async step(faults: boolean): Promise<void> {
    if (faults) this.injectFaults();
    this.clock.advance(1);
    await new Promise((r) => setImmediate(r));
    this.safety.check(this.live().map((s) => s.node.core));
  }

  async run(ms: number, faults: boolean): Promise<void> {
    for (let i = 0; i < ms; i++) await this.step(faults);
  }

  /** Steps the simulation (without faults) until `p` settles, at most `maxMs` simulated ms. */
  async until<T>(p: Promise<T>, maxMs = 30_000): Promise<T> {
    let outcome: { ok: true; value: T } | { ok: false; err: unknown } | undefined;
    p.then(
      (value) => (outcome = { ok: true, value }),
      (err: unknown) => (outcome = { ok: false, err }),
    );
    for (let i = 0; i < maxMs && !outcome; i++) await this.step(false);
    if (!outcome) throw new Error(`nothing settled after ${maxMs} simulated ms`);
    if (!outcome.ok) throw outcome.err;
    return outcome.value;
  }

  private injectFaults(): void {
    const f = this.faults;
    if (this.rng.chance(f.partition)) this.partition();
    if (this.cut.size && this.rng.chance(f.heal)) this.heal();
    if (this.rng.chance(f.crash)) {
      const up = [...this.nodes.values()].filter((n) => n.store);
      if (up.length) {
        const victim = this.rng.pick(up);
        if (this.rng.chance(f.tornWrite)) {
          // the crash comes in the middle of its next log write
          victim.storage.tornWrite = this.rng.int(0, 3);
        } else {
          this.crash(victim.id);
        }
      }
    }
    const down = [...this.nodes.values()].filter((n) => !n.store);
    if (down.length && this.rng.chance(f.restart)) void this.start(this.rng.pick(down).id);
  }

  private deliver(from: NodeId, to: NodeId, deliver: () => void, lost?: () => void): void {
    if (this.cut.has(`${from}→${to}`) || this.rng.chance(this.faults.drop)) {
      if (lost) this.clock.setTimeout(lost, this.faults.maxDelayMs);
      return;
    }
    this.clock.setTimeout(deliver, this.rng.int(0, this.faults.maxDelayMs));
    if (this.rng.chance(this.faults.duplicate)) this.clock.setTimeout(deliver, this.rng.int(0, this.faults.maxDelayMs));
  }
}
