import type { Clock, TimerHandle } from '../../util/clock.js';
import type { Logger } from '../../util/logger.js';
import { decodeConfChange, type ConfChange } from './core/conf-change.js';
import { RaftCore, defaultRaftConfig, type RaftConfig, type RaftStatus } from './core/raft.js';
import type { Entry, Message, NodeId, Ready, Snapshot, SoftState } from './core/types.js';
import type { RaftStorage } from './storage/types.js';
import type { Transport } from './transport/types.js';

/** The replicated state machine the node feeds with committed entries. */
export interface StateMachine {
  /** A committed normal entry (the no-op of a new leader has empty data). */
  apply(entry: Entry): void;
  /** A committed membership change, after the core applied it. */
  applyConfChange(cc: ConfChange, index: number): void;
  /** The whole state as of the last applied entry. */
  snapshot(): string;
  restore(snapshot: Snapshot): void;
}

export interface RaftNodeOptions {
  id: NodeId;
  storage: RaftStorage;
  transport: Transport;
  stateMachine: StateMachine;
  clock: Clock;
  log: Logger;
  /** Milliseconds per tick (default 100: elections after 1–2 s, heartbeats every 100 ms). */
  tickMs?: number;
  /** Tuning of the core (election and heartbeat ticks, flow control, randomness). */
  raft?: Partial<RaftConfig>;
  /** Snapshot every this many applied entries (default 10,000, like Swarm). */
  snapshotEvery?: number;
  /** Entries kept after a snapshot for followers slightly behind (default 500). */
  keepEntries?: number;
  /** How to run the Ready loop soon (default setImmediate, so a burst of proposals shares one fsync). */
  schedule?: (fn: () => void) => void;
}

export interface RaftNodeEvents {
  leaderChange(lead: NodeId, term: number): void;
  /** The node stopped because it could not persist (or a simulated crash): it must be rebuilt from storage. */
  fatal(err: unknown): void;
}

/**
 * Drives one RaftCore: ticks it on the clock, feeds it the transport's messages, and runs its
 * Ready loop — apply what is committed, persist (fsync), then send, then advance — so nothing
 * this member sends depends on what is not on its disk yet (a leader's appends excepted: see
 * `Ready.sendNow`). Committed entries apply before the write (a quorum holds them already, as
 * etcd applies them). The log write and its fsync hold the thread, as etcd's Raft loop waits
 * for its own; messages and proposals that arrive meanwhile wait in the sockets, and the next
 * Ready writes all of them with one fsync. Takes snapshots and compacts the log as entries pile up.
 */
export class RaftNode {
  readonly core: RaftCore;
  private timer: TimerHandle | undefined;
  private scheduled = false;
  private stopped = false;
  /** The Ready loop while it runs (it waits for writes to be synced); settles when it stops. */
  private running: Promise<void> | undefined;
  /** The Ready being handled. */
  private inFlight: Ready | undefined;
  private lastSnapshotIndex: number;
  private readonly reads = new Map<string, (index: number) => void>();
  private readSeq = 0;
  /** Keeps this run's read contexts apart from an earlier run's still pending at the leader. */
  private readonly incarnation = Math.floor(Math.random() * 2 ** 32).toString(36);
  private readonly listeners: { [K in keyof RaftNodeEvents]: Set<RaftNodeEvents[K]> } = { leaderChange: new Set(), fatal: new Set() };
  private readonly tickMs: number;
  private readonly snapshotEvery: number;
  private readonly keepEntries: number;
  private readonly schedule: (fn: () => void) => void;

  constructor(private readonly opts: RaftNodeOptions) {
    this.tickMs = opts.tickMs ?? 100;
    this.snapshotEvery = opts.snapshotEvery ?? 10_000;
    this.keepEntries = opts.keepEntries ?? 500;
    this.schedule = opts.schedule ?? ((fn) => setImmediate(fn));
    const persisted = opts.storage.load();
    this.core = new RaftCore({ ...defaultRaftConfig(opts.id), log: opts.log, ...opts.raft }, persisted);
    if (persisted.snapshot) opts.stateMachine.restore(persisted.snapshot);
    this.lastSnapshotIndex = persisted.snapshot?.meta.index ?? 0;
  }

  /** Starts ticking; committed entries not yet applied are replayed first. The owner starts the transport and feeds `step`. */
  start(): void {
    this.processReady();
    this.armTick();
  }

  on<K extends keyof RaftNodeEvents>(event: K, fn: RaftNodeEvents[K]): () => void {
    (this.listeners[event] as Set<RaftNodeEvents[K]>).add(fn);
    return () => (this.listeners[event] as Set<RaftNodeEvents[K]>).delete(fn);
  }

  step(m: Message): void {
    this.input(() => this.core.step(m));
  }

  propose(data: string): { index: number; term: number } | undefined {
    if (this.stopped) return undefined;
    const at = this.core.propose(data);
    if (at) this.kick();
    return at;
  }

  reportUnreachable(to: NodeId): void {
    this.input(() => this.core.reportUnreachable(to));
  }

  reportSnapshot(to: NodeId, ok: boolean): void {
    this.input(() => this.core.reportSnapshot(to, ok));
  }

  proposeConfChange(cc: ConfChange): { index: number; term: number } | undefined {
    if (this.stopped) return undefined;
    const at = this.core.proposeConfChange(cc);
    if (at) this.kick();
    return at;
  }

  /** A linearizable read point: resolves with an index; reads once it is applied see every write acknowledged before. */
  readIndex(): Promise<number> {
    return new Promise((resolve) => {
      const context = `${this.opts.id}/${this.incarnation}/${++this.readSeq}`;
      let retry: TimerHandle | undefined;
      // The request or its answer may be lost: ask again every few ticks until granted.
      const ask = (): void => {
        if (this.stopped || !this.reads.has(context)) return;
        this.input(() => this.core.readIndex(context));
        retry = this.opts.clock.setTimeout(ask, this.tickMs * 3);
      };
      this.reads.set(context, (index) => {
        if (retry) this.opts.clock.clearTimeout(retry);
        resolve(index);
      });
      ask();
    });
  }

  transferLeadership(to: NodeId): void {
    this.input(() => this.core.transferLeadership(to));
  }

  campaign(): void {
    this.input(() => this.core.campaign());
  }

  status(): RaftStatus {
    return this.core.status();
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  /** Stops ticking and processing; resolves once a write in progress has settled, so the owner can close the storage. */
  stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) this.opts.clock.clearTimeout(this.timer);
    return this.running ?? Promise.resolve();
  }

  private input(fn: () => void): void {
    if (this.stopped) return;
    fn();
    this.kick();
  }

  private armTick(): void {
    this.timer = this.opts.clock.setTimeout(() => {
      if (this.stopped) return;
      this.core.tick();
      this.processReady();
      this.armTick();
    }, this.tickMs);
  }

  private kick(): void {
    if (this.scheduled || this.stopped) return;
    this.scheduled = true;
    this.schedule(() => {
      this.scheduled = false;
      this.processReady();
    });
  }

  private processReady(): void {
    if (this.stopped) return;
    // While a Ready is being handled (its turns of the event loop around the log write), what a
    // quorum has committed since applies at once, and a leader sends what it proposed meanwhile.
    if (this.running) {
      if (this.inFlight?.sendNow) for (const m of this.core.leaderMessagesNow()) this.opts.transport.send(m);
      return this.applyEntries(this.inFlight?.snapshot ? [] : this.core.takeCommitted());
    }
    if (!this.core.hasReady()) return;
    this.running = this.drain().then(
      () => (this.running = undefined),
      (err: unknown) => {
        this.running = undefined;
        if (!this.stopped) this.fail(err);
      },
    );
  }

  private async drain(): Promise<void> {
    while (!this.stopped && this.core.hasReady()) {
      this.inFlight = this.core.ready();
      await this.handle(this.inFlight);
    }
    this.inFlight = undefined;
  }

  private async handle(rd: Ready): Promise<void> {
    const { storage, transport, stateMachine } = this.opts;
    if (rd.snapshot) {
      storage.installSnapshot(rd.snapshot);
      stateMachine.restore(rd.snapshot);
      this.lastSnapshotIndex = rd.snapshot.meta.index;
    }
    // A leader's appends go out first: followers write their copies while the leader writes its own.
    const sendFirst = rd.sendNow && rd.entries.length > 0;
    if (sendFirst) for (const m of rd.messages) transport.send(m);
    // Committed entries are on a quorum's disks already: they apply while this member's new
    // entries are written (as etcd does), so their callers hear back one fsync sooner.
    this.apply(rd);
    // The transport gets a turn of the event loop to put the appends on the wire before the log write takes the thread.
    if (sendFirst && rd.messages.length > 0) {
      await this.turn();
      if (this.stopped) return;
    }
    await storage.save(rd.hardState, rd.entries);
    if (this.stopped) return;
    // A leader that only tells its followers a new commit index lets the callers of what it applied answer first.
    if (!sendFirst && rd.sendNow && rd.committed.length > 0) {
      await this.turn();
      if (this.stopped) return;
    }
    if (!sendFirst) for (const m of rd.messages) transport.send(m);
    this.core.advance(rd);
    if (rd.softState) this.leaderChanged(rd.softState);
    this.maybeSnapshot();
  }

  /** A turn of the event loop, for what is queued to run before the Ready goes on. */
  private turn(): Promise<void> {
    return new Promise((resolve) => this.schedule(resolve));
  }

  private apply(rd: Ready): void {
    this.applyEntries(rd.committed);
    for (const rs of rd.readStates) {
      const resolve = this.reads.get(rs.context);
      this.reads.delete(rs.context);
      resolve?.(rs.index);
    }
  }

  private applyEntries(ents: readonly Entry[]): void {
    const { stateMachine } = this.opts;
    for (const e of ents) {
      if (e.type === 'conf') {
        const cc = decodeConfChange(e.data);
        this.core.applyConfChange(cc);
        stateMachine.applyConfChange(cc, e.index);
      } else {
        stateMachine.apply(e);
      }
    }
    const last = ents[ents.length - 1];
    if (last) this.core.appliedTo(last.index);
  }

  private leaderChanged(s: SoftState): void {
    this.opts.log.info({ node: this.opts.id, term: this.core.term, leader: s.lead || null, role: s.role }, 'raft: leadership changed');
    for (const fn of this.listeners.leaderChange) fn(s.lead, this.core.term);
  }

  private maybeSnapshot(): void {
    const applied = this.core.log.applied;
    if (applied - this.lastSnapshotIndex < this.snapshotEvery) return;
    const snapshot: Snapshot = {
      meta: { index: applied, term: this.core.log.term(applied)!, conf: this.core.confState() },
      data: this.opts.stateMachine.snapshot(),
    };
    this.opts.storage.saveSnapshot(snapshot);
    this.core.compact(snapshot, this.keepEntries);
    this.lastSnapshotIndex = applied;
    this.opts.log.info({ node: this.opts.id, term: this.core.term, index: applied }, 'raft: snapshot taken, log compacted');
  }

  private fail(err: unknown): void {
    this.opts.log.error({ err, node: this.opts.id, term: this.core.term }, 'raft: stopping: could not persist');
    void this.stop();
    for (const fn of this.listeners.fatal) fn(err);
  }
}
