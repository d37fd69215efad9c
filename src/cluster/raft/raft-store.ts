import { randomBytes } from 'node:crypto';
import type { Clock, TimerHandle } from '../../util/clock.js';
import { errorMessage, isShoalError, ShoalError } from '../../util/errors.js';
import type { Logger } from '../../util/logger.js';
import { notifyWatchers } from '../store/apply-changes.js';
import { Transaction } from '../store/transaction.js';
import type { ReadTx, Store, StoreEvent, WriteTx } from '../store/types.js';
import type { TableName } from '../types.js';
import { ClusterState, type Member } from './cluster-state.js';
import { decodeCommand, encodeCommand, stampVersions, type Command } from './command.js';
import type { ConfChange } from './core/conf-change.js';
import type { Entry, NodeId, Snapshot } from './core/types.js';
import { RaftNode, type RaftNodeOptions } from './node.js';
import { Overlay } from './overlay.js';
import { snapshotEvents } from './snapshot-events.js';
import type { RaftStorage } from './storage/types.js';
import type { Transport } from './transport/types.js';

export interface RaftStoreOptions extends Omit<RaftNodeOptions, 'stateMachine' | 'id'> {
  id: NodeId;
  storage: RaftStorage;
  transport: Transport;
  clock: Clock;
  log: Logger;
  /** How long a write or a read barrier may wait for a leader and a quorum (default 10 s). */
  commitTimeoutMs?: number;
}

export interface RaftStoreStatus {
  id: NodeId;
  term: number;
  leader: NodeId | undefined;
  isLeader: boolean;
  commit: number;
  applied: number;
  /** Times this member saw the leader change (a new leader, or none) since it started. */
  leaderChanges: number;
}

/** A manager as `node ls` and `info` show it (Docker's ManagerStatus). */
export interface ManagerMember extends Member {
  leader: boolean;
  reachability: 'reachable' | 'unreachable' | 'unknown';
}

type ForwardReply = { index: number } | { conflict: string; latest: number };

interface Waiter {
  index: number;
  resolve(): void;
  reject(err: Error): void;
  timer: TimerHandle;
}

const FORWARD_TRIES = 5;

/**
 * The cluster store replicated by Raft across the managers, behind the same `Store` interface
 * as LocalStore. On the leader, `update` runs against the latest state (applied plus proposed),
 * proposes the writes and resolves once a quorum committed them and they are applied here; the
 * proposals pipeline. On a follower, the transaction runs against the local state and its writes
 * go to the leader with what it read; the leader refuses them if any of that changed (the
 * follower then catches up and runs the transaction again). Every member checks each command
 * against its state when applying it, so all apply the same writes. Watchers fire on apply, in
 * log order, on every manager.
 */
export class RaftStore implements Store {
  private readonly state: ClusterState;
  private readonly overlay: Overlay;
  readonly node: RaftNode;
  private readonly listeners = new Set<(events: StoreEvent[]) => void>();
  private readonly leadershipListeners = new Set<(isLeader: boolean) => void>();
  private readonly waiters = new Map<string, Waiter>();
  /**
   * Writes this member forwarded to the leader and waits for, by command ID, with the index this
   * member had applied when it sent them (they can only land after it): pending, landed once
   * applied here, unknown when a snapshot skipped past them and no longer tells.
   */
  private readonly forwarded = new Map<string, { after: number; fate: 'pending' | 'landed' | 'unknown' }>();
  /** Callbacks re-checked whenever something is applied or leadership changes. */
  private readonly wakeups = new Set<() => void>();
  private queue: Promise<unknown> = Promise.resolve();
  private seq = 0;
  /** Tells this run's proposals from an earlier run's still in the log. */
  private readonly incarnation = randomBytes(4).toString('hex');
  /** This member's first index as leader; it takes writes once that is applied. 0: not leading. */
  private leaderSince = 0;
  private writable = false;
  private closed = false;
  private leaderChanges = 0;
  private readonly timeoutMs: number;

  constructor(private readonly opts: RaftStoreOptions) {
    this.state = new ClusterState(opts.log);
    this.overlay = new Overlay(this.state);
    this.timeoutMs = opts.commitTimeoutMs ?? 10_000;
    this.node = new RaftNode({
      ...opts,
      stateMachine: {
        apply: (e) => this.applyEntry(e),
        applyConfChange: (cc, index) => this.applyConfChange(cc, index),
        snapshot: () => this.state.snapshot(),
        restore: (s) => this.restore(s),
      },
    });
    this.node.on('leaderChange', (lead) => this.leaderChanged(lead));
    this.node.on('fatal', (err) => this.failAll(new ShoalError('unavailable', `this manager's Raft member stopped: ${errorMessage(err)}`)));
  }

  /** Starts the transport and the Raft member. */
  async start(): Promise<void> {
    await this.opts.transport.start({
      onMessage: (m) => this.node.step(m),
      onForward: (payload) => this.serveForward(payload),
      onUnreachable: (to) => this.node.reportUnreachable(to),
      onSnapshotStatus: (to, ok) => this.node.reportSnapshot(to, ok),
    });
    for (const [id, addr] of this.state.members) if (id !== this.opts.id) this.opts.transport.setPeer(id, addr);
    this.node.start();
  }

  // ---- Store -------------------------------------------------------------------------------

  view<R>(fn: (tx: ReadTx) => R): R {
    return fn(new Transaction(this.state.reader(), this.state.index, () => this.timestamp()));
  }

  update<R>(fn: (tx: WriteTx) => R): Promise<R> {
    if (this.closed) return Promise.reject(closedError());
    let done!: Promise<R>;
    // Transactions start one at a time, in call order. On the leader a job ends once proposed
    // (synchronously), so the next one starts while the first is being replicated.
    const started = this.queue.then(() => {
      if (this.isWritableLeader()) {
        done = this.proposeLocal(fn);
        return undefined;
      }
      done = this.runUpdate(fn);
      return done.catch(() => undefined);
    });
    this.queue = started.catch(() => undefined);
    return started.then(() => done);
  }

  watch(listener: (events: StoreEvent[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.queue;
    await this.node.stop();
    await this.opts.transport.close();
    this.opts.storage.close();
    this.failAll(closedError());
  }

  /** Seals this member's data key at rest under `unlockKey` (autolock on or rotated), or keeps it in the clear (off). */
  setUnlockKey(unlockKey: string | undefined): void {
    this.opts.storage.setUnlockKey(unlockKey);
  }

  // ---- cluster -----------------------------------------------------------------------------

  isLeader(): boolean {
    return this.writable;
  }

  leader(): NodeId | undefined {
    return this.node.core.lead || undefined;
  }

  /** Called with true once this manager leads and can take writes, with false when it stops leading. */
  onLeadership(fn: (isLeader: boolean) => void): () => void {
    this.leadershipListeners.add(fn);
    return () => this.leadershipListeners.delete(fn);
  }

  status(): RaftStoreStatus {
    const s = this.node.status();
    return { id: s.id, term: s.term, leader: s.lead || undefined, isLeader: this.writable, commit: s.commit, applied: this.state.index, leaderChanges: this.leaderChanges };
  }

  members(): ManagerMember[] {
    const s = this.node.status();
    return [...this.state.members].map(([id, addr]) => {
      let reachability: ManagerMember['reachability'] = 'unknown';
      if (id === s.id || id === s.lead) reachability = 'reachable';
      else if (s.role === 'leader') reachability = s.progress[id]?.active ? 'reachable' : 'unreachable';
      return { id, addr, leader: id === s.lead, reachability };
    });
  }

  /** Waits until this manager has applied everything committed before the call (a linearizable read point). */
  async readBarrier(): Promise<void> {
    const index = await this.withTimeout(this.node.readIndex(), 'a read barrier');
    await this.waitFor(() => this.state.index >= index, 'catching up for a read');
  }

  /** Adds a manager (leader only); resolves once the change is applied here. */
  addMember(id: NodeId, addr: string, opts: { learner?: boolean } = {}): Promise<void> {
    return this.changeMembers({ type: opts.learner ? 'addLearner' : 'addVoter', node: id, context: addr });
  }

  /** Removes a manager (leader only); refused if the managers left could not form a quorum. */
  removeMember(id: NodeId): Promise<void> {
    const s = this.node.status();
    if (s.role === 'leader') {
      const voters = s.conf.voters.filter((v) => v !== id);
      const reachable = voters.filter((v) => v === s.id || s.progress[v]?.active).length;
      if (reachable < Math.floor(voters.length / 2) + 1) {
        return Promise.reject(new ShoalError('failed_precondition', `removing ${id} would leave ${reachable} reachable of ${voters.length} managers: no quorum`));
      }
    }
    return this.changeMembers({ type: 'removeNode', node: id });
  }

  /** Hands leadership to another manager (before this one leaves or restarts). */
  transferLeadership(to: NodeId): void {
    this.node.transferLeadership(to);
  }

  // ---- writes ------------------------------------------------------------------------------

  private async runUpdate<R>(fn: (tx: WriteTx) => R): Promise<R> {
    // Every command this write sent, with what `fn` returned for it: the one that lands is the write.
    const sent = new Map<string, R>();
    try {
      for (let attempt = 1; ; attempt++) {
        if (this.closed) throw closedError();
        // A member just elected leads before its first entry is applied: it then waits, it does not forward to itself.
        await this.waitFor(() => this.isWritableLeader() || (this.leader() !== undefined && this.leader() !== this.opts.id), 'a leader');
        const landed = this.landed(sent);
        if (landed) return landed.result;
        if (this.isWritableLeader()) return await this.proposeLocal(fn);
        const tx = new Transaction(this.state.reader(), this.state.index, () => this.timestamp());
        const result = fn(tx);
        if (tx.changes().length === 0) return result;
        const cmd = this.command(tx);
        sent.set(cmd.id, result);
        this.forwarded.set(cmd.id, { after: this.state.index, fate: 'pending' });
        const reply = await this.forwardWhileLeading(cmd);
        if (reply === 'leader changed') {
          // The leader it went to may have committed it or not: that is known once this member applied
          // an entry of the next leader's term (anything committed before is then applied here).
          this.opts.log.debug({ node: this.opts.id }, 'leadership changed while a forwarded write waited; settling it with the next leader');
          await this.waitFor(() => this.appliedCurrentTerm(), 'the next leader\'s first entry');
          continue;
        }
        if ('index' in reply) {
          await this.waitFor(() => this.state.index >= reply.index, 'applying the write here');
          return result;
        }
        this.opts.log.debug({ node: this.opts.id, conflict: reply.conflict }, 'forwarded write conflicted; catching up and running it again');
        // A copy of the request delivered twice conflicts with the first copy's own write: that one counts.
        await this.waitFor(() => this.state.index >= reply.latest, 'catching up with the leader');
        const own = this.landed(sent);
        if (own) return own.result;
        if (attempt >= FORWARD_TRIES) throw new ShoalError('conflict', `update conflicted ${attempt} times: ${reply.conflict}`);
      }
    } finally {
      for (const id of sent.keys()) this.forwarded.delete(id);
    }
  }

  /** The command of `sent` that was applied here, if one was; throws when that can no longer be known. */
  private landed<R>(sent: Map<string, R>): { result: R } | undefined {
    for (const [id, result] of sent) if (this.forwarded.get(id)?.fate === 'landed') return { result };
    for (const id of sent.keys()) {
      if (this.forwarded.get(id)?.fate === 'unknown') {
        throw new ShoalError('unavailable', 'this manager caught up from a snapshot while its write waited at the leader: whether the write was applied is unknown; check the object and retry');
      }
    }
    return undefined;
  }

  /** Whether the last entry applied here is of the current term: all that was committed before it is applied too. */
  private appliedCurrentTerm(): boolean {
    return this.node.core.log.term(this.state.index) === this.node.core.term;
  }

  /**
   * Forwards `cmd` to the leader; gives up waiting for its answer once another member leads (a
   * later term): a leader cut off from the others never answers, and this member's writes must not
   * wait behind it for the whole commit timeout.
   */
  private async forwardWhileLeading(cmd: Command): Promise<ForwardReply | 'leader changed'> {
    const lead = this.leader();
    let wake!: () => void;
    const changed = new Promise<'leader changed'>((resolve) => {
      wake = () => {
        const now = this.leader();
        if (now !== undefined && now !== lead) resolve('leader changed');
      };
      this.wakeups.add(wake);
    });
    try {
      return await Promise.race([this.forward(cmd), changed]);
    } finally {
      this.wakeups.delete(wake);
    }
  }

  /** On the leader: runs the transaction against the latest state and proposes its writes. */
  private proposeLocal<R>(fn: (tx: WriteTx) => R): Promise<R> {
    const tx = new Transaction(this.overlay, this.node.core.log.lastIndex(), () => this.timestamp());
    let result: R;
    try {
      result = fn(tx);
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    const changes = tx.changes();
    if (changes.length === 0) return Promise.resolve(result);
    return this.propose(this.command(tx)).then(() => result);
  }

  /** Proposes a command that holds against the latest state; resolves once applied here. */
  private propose(cmd: Command): Promise<number> {
    const index = this.node.core.log.lastIndex() + 1;
    stampVersions(cmd.changes, index);
    const at = this.node.propose(encodeCommand(cmd));
    if (!at) return Promise.reject(this.notLeaderError());
    if (at.index !== index) throw new Error(`raft: proposal landed at ${at.index}, expected ${index}`);
    this.overlay.add(index, cmd.changes);
    return new Promise<number>((resolve, reject) => {
      const timer = this.opts.clock.setTimeout(() => {
        this.waiters.delete(cmd.id);
        reject(new ShoalError('unavailable', `the write at index ${index} was not committed within ${this.timeoutMs} ms: the managers may have lost quorum; its outcome is unknown`));
      }, this.timeoutMs);
      this.waiters.set(cmd.id, { index, resolve: () => resolve(index), reject, timer });
    });
  }

  private command(tx: Transaction): Command {
    const reads: Command['reads'] = [];
    for (const [table, ids] of tx.observed) for (const [id, version] of ids) reads.push([table, id, version]);
    return { id: `${this.opts.id}/${this.incarnation}/${++this.seq}`, at: tx.index, changes: tx.changes(), reads, scans: [...tx.scanned] as TableName[], ts: this.opts.clock.now() };
  }

  private async forward(cmd: Command): Promise<ForwardReply> {
    const lead = this.leader();
    if (!lead) throw this.notLeaderError();
    try {
      return JSON.parse(await this.withTimeout(this.opts.transport.forward(lead, encodeCommand(cmd)), `forwarding a write to the leader ${lead}`)) as ForwardReply;
    } catch (err) {
      if (isShoalError(err)) throw err;
      throw new ShoalError('unavailable', `could not forward the write to the leader ${lead}: ${errorMessage(err)}`);
    }
  }

  /** The leader's side of a forwarded write: checked against the latest state, then proposed in turn. */
  private serveForward(payload: string): Promise<string> {
    const cmd = decodeCommand(payload);
    const job = this.queue.then(async (): Promise<ForwardReply> => {
      // Just elected, it takes writes once its first entry is applied: the write waits for that, it is not refused.
      if (this.node.core.role === 'leader') await this.waitFor(() => this.isWritableLeader() || this.node.core.role !== 'leader', "this leader's first entry");
      if (!this.isWritableLeader()) throw this.notLeaderError();
      const conflict = this.state.conflict(cmd, this.overlay);
      if (conflict) return { conflict, latest: this.node.core.log.lastIndex() };
      return { index: await this.propose(cmd) };
    });
    this.queue = job.catch(() => undefined);
    return job.then((r) => JSON.stringify(r));
  }

  private changeMembers(cc: ConfChange): Promise<void> {
    if (!this.isWritableLeader()) return Promise.reject(this.notLeaderError());
    const at = this.node.proposeConfChange(cc);
    if (!at) return Promise.reject(new ShoalError('unavailable', 'another membership change is in progress; try again when it is done'));
    return this.waitFor(() => this.state.index >= at.index, 'the membership change').then(() => {
      if (this.node.core.log.term(at.index) !== at.term) throw new ShoalError('unavailable', 'leadership changed before the membership change committed');
    });
  }

  // ---- applying ----------------------------------------------------------------------------

  private applyEntry(e: Entry): void {
    if (e.data === '') {
      this.state.index = e.index;
    } else {
      const cmd = decodeCommand(e.data);
      const r = this.state.apply(e.index, cmd);
      const mine = this.forwarded.get(cmd.id);
      if ('events' in r && mine) mine.fate = 'landed';
      const w = this.waiters.get(cmd.id);
      if (w) {
        this.waiters.delete(cmd.id);
        this.opts.clock.clearTimeout(w.timer);
        if ('conflict' in r) w.reject(new ShoalError('conflict', `update conflicted at commit: ${r.conflict}`));
        else w.resolve();
      }
      if ('events' in r) {
        if (cmd.ts !== undefined) for (const ev of r.events) ev.time = cmd.ts;
        notifyWatchers(this.listeners, r.events, this.opts.log);
      }
      else this.opts.log.warn({ node: this.opts.id, index: e.index, conflict: r.conflict }, 'a committed write did not hold at apply; it was skipped on every manager');
    }
    this.overlay.appliedTo(e.index);
    this.rejectOverwritten(e.index);
    this.afterApply();
  }

  private applyConfChange(cc: ConfChange, index: number): void {
    this.state.index = index;
    if (cc.type === 'removeNode') {
      this.state.members.delete(cc.node);
      if (cc.node !== this.opts.id) this.opts.transport.removePeer(cc.node);
      else this.opts.log.warn({ node: this.opts.id }, 'this manager was removed from the Raft cluster');
    } else {
      this.state.members.set(cc.node, cc.context ?? '');
      if (cc.node !== this.opts.id && cc.context) this.opts.transport.setPeer(cc.node, cc.context);
    }
    this.overlay.appliedTo(index);
    this.rejectOverwritten(index);
    this.afterApply();
  }

  private restore(s: Snapshot): void {
    const before = this.state.tables;
    this.state.restore(s.data, s.meta.index);
    for (const [id, addr] of this.state.members) if (id !== this.opts.id && addr) this.opts.transport.setPeer(id, addr);
    this.overlay.clear();
    for (const [id, mine] of this.forwarded) {
      const applied = this.state.applied(id, mine.after);
      if (mine.fate === 'pending' && applied !== false) mine.fate = applied ? 'landed' : 'unknown';
    }
    const events = snapshotEvents(before, this.state.tables, s.meta.index);
    if (events.length) notifyWatchers(this.listeners, events, this.opts.log);
    this.rejectOverwritten(s.meta.index);
    this.afterApply();
  }

  /** Proposals at or below `index` whose entry did not apply were replaced by another leader's. */
  private rejectOverwritten(index: number): void {
    for (const [id, w] of this.waiters) {
      if (w.index > index) continue;
      this.waiters.delete(id);
      this.opts.clock.clearTimeout(w.timer);
      w.reject(new ShoalError('unavailable', `leadership changed before the write at index ${w.index} committed; it was not applied`));
    }
  }

  private afterApply(): void {
    if (this.leaderSince > 0 && !this.writable && this.state.index >= this.leaderSince) {
      this.writable = true;
      this.opts.log.info({ node: this.opts.id, term: this.node.core.term }, 'raft store: leading, taking writes');
      for (const fn of this.leadershipListeners) fn(true);
    }
    for (const wake of [...this.wakeups]) wake();
  }

  private leaderChanged(lead: NodeId): void {
    this.leaderChanges++;
    const leading = lead === this.opts.id;
    if (leading && this.leaderSince === 0) {
      this.leaderSince = this.node.core.log.lastIndex();
    } else if (!leading && this.leaderSince > 0) {
      this.leaderSince = 0;
      this.overlay.clear();
      if (this.writable) {
        this.writable = false;
        for (const fn of this.leadershipListeners) fn(false);
      }
    }
    this.afterApply();
  }

  // ---- helpers -----------------------------------------------------------------------------

  private isWritableLeader(): boolean {
    return this.writable && this.node.core.role === 'leader';
  }

  /** Resolves when `cond` holds (re-checked on every apply and leadership change), or fails after the commit timeout. */
  private waitFor(cond: () => boolean, what: string): Promise<void> {
    if (cond()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const wake = (): void => {
        if (this.closed) return finish(closedError());
        if (cond()) finish();
      };
      const timer = this.opts.clock.setTimeout(() => finish(this.timeoutError(what)), this.timeoutMs);
      const finish = (err?: Error): void => {
        this.wakeups.delete(wake);
        this.opts.clock.clearTimeout(timer);
        if (err) reject(err);
        else resolve();
      };
      this.wakeups.add(wake);
    });
  }

  private withTimeout<T>(p: Promise<T>, what: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = this.opts.clock.setTimeout(() => reject(this.timeoutError(what)), this.timeoutMs);
      p.then(
        (v) => {
          this.opts.clock.clearTimeout(timer);
          resolve(v);
        },
        (err: unknown) => {
          this.opts.clock.clearTimeout(timer);
          reject(err instanceof Error ? err : new Error(String(err)));
        },
      );
    });
  }

  private timeoutError(what: string): ShoalError {
    const s = this.node.status();
    const who = s.lead ? `the leader is ${s.lead}` : `there is no leader: this manager cannot reach a quorum of the ${s.conf.voters.length} managers`;
    return new ShoalError('unavailable', `timed out after ${this.timeoutMs} ms waiting for ${what}; ${who}`);
  }

  private notLeaderError(): ShoalError {
    const lead = this.leader();
    return new ShoalError('unavailable', lead ? `this manager is not the leader (the leader is ${lead}); try again` : 'there is no leader: the managers cannot reach a quorum; try again later');
  }

  private failAll(err: Error): void {
    for (const [id, w] of this.waiters) {
      this.waiters.delete(id);
      this.opts.clock.clearTimeout(w.timer);
      w.reject(err);
    }
    for (const wake of [...this.wakeups]) wake();
  }

  private timestamp(): string {
    return new Date(this.opts.clock.now()).toISOString();
  }
}

const closedError = (): ShoalError => new ShoalError('unavailable', 'the store is closed (the node is leaving the swarm or shutting down)');
