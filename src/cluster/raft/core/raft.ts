import type { Logger } from '../../../util/logger.js';
import type { ConfChange } from './conf-change.js';
import { RaftLog } from './log.js';
import { Progress } from './progress.js';
import { ReadOnly } from './read-only.js';
import type { ConfState, Entry, HardState, Message, NodeId, ReadState, Ready, Role, Snapshot, SoftState } from './types.js';

export interface RaftConfig {
  id: NodeId;
  /** Ticks without hearing from a leader before a follower campaigns (randomized in [n, 2n)). */
  electionTicks: number;
  heartbeatTicks: number;
  /** Appends in flight to one follower before the leader waits for acknowledgements. */
  maxInflight: number;
  maxEntriesPerMsg: number;
  maxBytesPerMsg: number;
  /** A leader that has not heard from a quorum for an election timeout steps down. */
  checkQuorum: boolean;
  /** Campaign only after a quorum says it would vote, so a rejoining node cannot disrupt a leader. */
  preVote: boolean;
  /** Uniform in [0, 1): seeded in simulations. */
  random: () => number;
  log?: Logger;
}

export const defaultRaftConfig = (id: NodeId): RaftConfig => ({
  id,
  electionTicks: 10,
  heartbeatTicks: 1,
  maxInflight: 256,
  maxEntriesPerMsg: 512,
  maxBytesPerMsg: 1 << 20,
  checkQuorum: true,
  preVote: true,
  random: Math.random,
});

/** What a member had on stable storage when it stopped. */
export interface RaftInit {
  hardState?: HardState;
  snapshot?: Snapshot;
  entries?: readonly Entry[];
}

export interface RaftStatus {
  id: NodeId;
  term: number;
  vote: NodeId;
  lead: NodeId;
  role: Role;
  commit: number;
  applied: number;
  lastIndex: number;
  conf: ConfState;
  /**
   * Leader only: each member's matched index and replication state; `active`: heard from in this
   * check-quorum round or the one before (a round starting must not make `node ls` flap to Unreachable).
   */
  progress: Record<NodeId, { match: number; next: number; state: string; active: boolean }>;
}

const TRANSFER = 'transfer';

/**
 * The Raft consensus algorithm as a pure state machine, after etcd's raft library: the driver
 * calls `tick()`, `step()` and `propose()`, then takes a `ready()` batch (persist entries and hard
 * state, send messages, apply committed entries) and calls `advance()`. No timers, no I/O.
 */
export class RaftCore {
  readonly id: NodeId;
  term = 0;
  vote: NodeId = '';
  lead: NodeId = '';
  role: Role = 'follower';
  readonly log: RaftLog;
  leadTransferee: NodeId = '';
  private readonly prs = new Map<NodeId, Progress>();
  private readonly votes = new Map<NodeId, boolean>();
  private msgs: Message[] = [];
  private readStates: ReadState[] = [];
  private electionElapsed = 0;
  private heartbeatElapsed = 0;
  private randomizedElectionTimeout = 0;
  /** A conf change at or below this index is not applied yet: no other may be proposed. */
  private pendingConfIndex = 0;
  private readonly readOnly = new ReadOnly();
  /** Read requests that came before this leader committed an entry of its term. */
  private pendingReadIndex: Message[] = [];
  private prevSoft: SoftState;
  private prevHard: HardState;
  /** Leader: new entries or a new commit index to send; done once per Ready, whatever the number of proposals and acknowledgements. */
  private appendsDue = false;

  constructor(
    private readonly cfg: RaftConfig,
    init: RaftInit = {},
  ) {
    this.id = cfg.id;
    this.log = new RaftLog(init.snapshot, init.entries ?? [], init.hardState?.commit ?? 0);
    if (init.snapshot) this.setConf(init.snapshot.meta.conf);
    if (init.hardState) {
      this.term = init.hardState.term;
      this.vote = init.hardState.vote;
    }
    this.becomeFollower(this.term, '');
    this.prevSoft = this.softState();
    this.prevHard = this.hardState();
  }

  // ---- inputs ------------------------------------------------------------------------------

  tick(): void {
    if (this.role === 'leader') return this.tickHeartbeat();
    this.electionElapsed++;
    if (this.promotable() && this.electionElapsed >= this.randomizedElectionTimeout) {
      this.electionElapsed = 0;
      this.step({ type: 'hup', from: this.id, to: this.id, term: 0 });
    }
  }

  /** Appends a command if this member leads; returns where it went, or undefined if it cannot take it now. */
  propose(data: string): { index: number; term: number } | undefined {
    return this.appendProposal('normal', data);
  }

  /** Proposes one membership change; refused while another is not applied yet. */
  proposeConfChange(cc: ConfChange): { index: number; term: number } | undefined {
    if (this.pendingConfIndex > this.log.applied) return undefined;
    if (cc.type === 'removeNode' && !this.prs.has(cc.node)) return undefined;
    const at = this.appendProposal('conf', JSON.stringify(cc));
    if (at) this.pendingConfIndex = at.index;
    return at;
  }

  /** Asks for a read index; it comes back in a Ready's `readStates` with the same context. */
  readIndex(context: string): void {
    this.step({ type: 'readIndex', from: this.id, to: this.id, term: 0, context });
  }

  transferLeadership(to: NodeId): void {
    this.step({ type: 'transferLeader', from: to, to: this.id, term: 0 });
  }

  /** Campaigns now, as if the election timeout had passed. */
  campaign(): void {
    this.step({ type: 'hup', from: this.id, to: this.id, term: 0 });
  }

  reportUnreachable(id: NodeId): void {
    this.step({ type: 'unreachable', from: id, to: this.id, term: 0 });
  }

  reportSnapshot(id: NodeId, ok: boolean): void {
    this.step({ type: 'snapStatus', from: id, to: this.id, term: 0, reject: !ok });
  }

  step(m: Message): void {
    if (m.term === 0) {
      // local message
    } else if (m.term > this.term) {
      if (m.type === 'vote' || m.type === 'preVote') {
        const force = m.context === TRANSFER;
        const inLease = this.cfg.checkQuorum && this.lead !== '' && this.electionElapsed < this.cfg.electionTicks;
        // A member that heard from a leader recently ignores campaigns: a partitioned node coming back cannot depose it.
        if (!force && inLease) return;
      }
      if (m.type === 'preVote') {
        // a pre-vote does not change our term
      } else if (m.type === 'preVoteResp' && !m.reject) {
        // our term rises once the pre-vote wins
      } else if (m.type === 'app' || m.type === 'heartbeat' || m.type === 'snap') {
        this.becomeFollower(m.term, m.from);
      } else {
        this.becomeFollower(m.term, '');
      }
    } else if (m.term < this.term) {
      if ((this.cfg.checkQuorum || this.cfg.preVote) && (m.type === 'heartbeat' || m.type === 'app')) {
        // A stale leader (cut off, then back) learns our term and steps down; without this it
        // would keep disrupting the pre-vote of the others forever.
        this.send({ type: 'appResp', to: m.from });
      } else if (m.type === 'preVote') {
        this.send({ type: 'preVoteResp', to: m.from, term: this.term, reject: true });
      }
      return;
    }

    switch (m.type) {
      case 'hup':
        if (this.role !== 'leader') this.hup(false);
        return;
      case 'vote':
      case 'preVote': {
        const canVote =
          this.vote === m.from || (this.vote === '' && this.lead === '') || (m.type === 'preVote' && m.term > this.term);
        const respType = m.type === 'vote' ? 'voteResp' : 'preVoteResp';
        if (canVote && this.log.isUpToDate(m.index ?? 0, m.logTerm ?? 0)) {
          this.send({ type: respType, to: m.from, term: m.term });
          if (m.type === 'vote') {
            this.electionElapsed = 0;
            this.vote = m.from;
          }
        } else {
          this.send({ type: respType, to: m.from, term: this.term, reject: true });
        }
        return;
      }
    }
    if (this.role === 'leader') this.stepLeader(m);
    else if (this.role === 'follower') this.stepFollower(m);
    else this.stepCandidate(m);
  }

  /** Applies a committed membership change; returns the configuration after it. */
  applyConfChange(cc: ConfChange): ConfState {
    if (cc.type === 'removeNode') {
      this.prs.delete(cc.node);
      if (cc.node === this.leadTransferee) this.leadTransferee = '';
    } else {
      const learner = cc.type === 'addLearner';
      const pr = this.prs.get(cc.node);
      if (!pr) {
        const p = new Progress(this.log.lastIndex() + 1, this.cfg.maxInflight, learner);
        // A new member counts as active, so check-quorum does not depose the leader before it answers.
        p.recentActive = true;
        this.prs.set(cc.node, p);
      } else if (!learner) {
        pr.learner = false; // promotion; a voter is never demoted to learner
      }
    }
    if (this.role === 'leader') {
      if (!this.prs.has(this.id)) {
        // Removed: stop leading, the others elect a new leader.
        this.becomeFollower(this.term, '');
      } else if (this.maybeCommit()) {
        this.bcastAppend();
      }
    }
    return this.confState();
  }

  // ---- outputs -----------------------------------------------------------------------------

  hasReady(): boolean {
    const s = this.softState();
    const h = this.hardState();
    return (
      this.msgs.length > 0 ||
      this.appendsDue ||
      this.readStates.length > 0 ||
      this.log.hasUnstableEntries() ||
      this.log.unstableSnapshot !== undefined ||
      this.log.hasNextCommitted() ||
      s.lead !== this.prevSoft.lead ||
      s.role !== this.prevSoft.role ||
      !sameHardState(h, this.prevHard)
    );
  }

  ready(): Ready {
    if (this.appendsDue && this.role === 'leader') this.sendAppends();
    this.appendsDue = false;
    const s = this.softState();
    const h = this.hardState();
    const rd: Ready = {
      sendNow: this.maySendNow(h),
      entries: this.log.unstableEntries(),
      committed: this.log.nextCommitted(),
      messages: this.msgs,
      readStates: this.readStates,
    };
    if (s.lead !== this.prevSoft.lead || s.role !== this.prevSoft.role) rd.softState = s;
    if (!sameHardState(h, this.prevHard)) rd.hardState = h;
    if (this.log.unstableSnapshot) rd.snapshot = this.log.unstableSnapshot;
    this.msgs = [];
    this.readStates = [];
    return rd;
  }

  /** Whether messages may go out before the Ready's write: a leader's, whose term and vote are on disk already (Ready.sendNow). */
  private maySendNow(h: HardState): boolean {
    return this.role === 'leader' && h.term === this.prevHard.term && h.vote === this.prevHard.vote;
  }

  /**
   * A leader's messages, handed out now, outside a Ready, while the driver is still writing the
   * last one: appends of entries proposed since (Raft thesis §10.2.1: a leader may send entries
   * before they are on its own disk) and heartbeats. None while its term or vote is not on disk
   * yet, or when it does not lead.
   */
  leaderMessagesNow(): Message[] {
    if (!this.maySendNow(this.hardState())) return [];
    if (this.appendsDue) this.sendAppends();
    this.appendsDue = false;
    const msgs = this.msgs;
    this.msgs = [];
    return msgs;
  }

  /**
   * Committed entries not handed out yet, handed out now, outside a Ready: the driver applies them
   * while it waits for a write. A leader's own copy need not be on its disk for an entry to be
   * committed (any majority of copies on disk is), so it need not wait for its write to apply it.
   */
  takeCommitted(): Entry[] {
    const ents = this.log.nextCommitted();
    this.appliedTo(ents[ents.length - 1]?.index ?? 0);
    return ents;
  }

  /** The driver applied the committed entries up to `index` (those of a Ready it is still persisting, too). */
  appliedTo(index: number): void {
    this.log.applied = Math.max(this.log.applied, index);
  }

  /** The driver has persisted, sent and applied everything in `rd`. */
  advance(rd: Ready): void {
    if (rd.softState) this.prevSoft = rd.softState;
    if (rd.hardState) this.prevHard = rd.hardState;
    if (rd.snapshot) {
      if (this.log.unstableSnapshot === rd.snapshot) this.log.unstableSnapshot = undefined;
      this.log.applied = Math.max(this.log.applied, rd.snapshot.meta.index);
    }
    const last = rd.entries[rd.entries.length - 1];
    if (last) {
      this.log.stableTo(last.index, last.term);
      // The leader's own copy counts toward a quorum once it is on disk.
      if (this.role === 'leader' && this.prs.get(this.id)?.maybeUpdate(this.log.stableIndex()) && this.maybeCommit()) this.appendsDue = true;
    }
    const applied = rd.committed[rd.committed.length - 1];
    if (applied) this.log.applied = Math.max(this.log.applied, applied.index);
  }

  /** The application took `snapshot`: drop the entries it covers but the last `keep`. */
  compact(snapshot: Snapshot, keep: number): void {
    this.log.compact(snapshot, keep);
  }

  confState(): ConfState {
    const voters: NodeId[] = [];
    const learners: NodeId[] = [];
    for (const [id, pr] of this.prs) (pr.learner ? learners : voters).push(id);
    return { voters: voters.sort(), learners: learners.sort() };
  }

  status(): RaftStatus {
    const progress: RaftStatus['progress'] = {};
    if (this.role === 'leader') {
      for (const [id, pr] of this.prs) progress[id] = { match: pr.match, next: pr.next, state: pr.state, active: pr.recentActive || pr.activeLastRound };
    }
    return {
      id: this.id,
      term: this.term,
      vote: this.vote,
      lead: this.lead,
      role: this.role,
      commit: this.log.committed,
      applied: this.log.applied,
      lastIndex: this.log.lastIndex(),
      conf: this.confState(),
      progress,
    };
  }

  hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.log.committed };
  }

  private softState(): SoftState {
    return { lead: this.lead, role: this.role };
  }

  // ---- roles -------------------------------------------------------------------------------

  private reset(term: number): void {
    if (this.term !== term) {
      this.term = term;
      this.vote = '';
    }
    this.lead = '';
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.randomizedElectionTimeout = this.cfg.electionTicks + Math.floor(this.cfg.random() * this.cfg.electionTicks);
    this.leadTransferee = '';
    this.votes.clear();
    this.appendsDue = false;
    for (const [id, pr] of this.prs) {
      const fresh = new Progress(this.log.lastIndex() + 1, this.cfg.maxInflight, pr.learner);
      if (id === this.id) fresh.match = this.log.stableIndex();
      this.prs.set(id, fresh);
    }
    this.pendingConfIndex = 0;
    this.readOnly.reset();
    this.pendingReadIndex = [];
  }

  private becomeFollower(term: number, lead: NodeId): void {
    const was = this.role;
    this.reset(term);
    this.lead = lead;
    this.role = 'follower';
    if (was === 'leader') this.cfg.log?.info({ node: this.id, term }, 'raft: stepped down');
  }

  private becomePreCandidate(): void {
    // Neither the term nor the vote changes: a pre-vote that fails leaves no trace.
    this.votes.clear();
    this.lead = '';
    this.role = 'preCandidate';
  }

  private becomeCandidate(): void {
    this.reset(this.term + 1);
    this.vote = this.id;
    this.role = 'candidate';
  }

  private becomeLeader(): void {
    this.reset(this.term);
    this.lead = this.id;
    this.role = 'leader';
    this.prs.get(this.id)!.becomeReplicate();
    // The no-op entry of the new term: committing it commits everything before it (§5.4.2),
    // and until then no membership change and no read index is served.
    this.log.append([{ term: this.term, index: this.log.lastIndex() + 1, type: 'normal', data: '' }]);
    this.pendingConfIndex = this.log.lastIndex();
    this.cfg.log?.info({ node: this.id, term: this.term }, 'raft: became leader');
  }

  private promotable(): boolean {
    const pr = this.prs.get(this.id);
    return pr !== undefined && !pr.learner;
  }

  private hup(transfer: boolean): void {
    if (!this.promotable()) return;
    // A conf change committed but not applied could change who votes: wait for it.
    const unapplied = this.log.slice(this.log.applied + 1)?.filter((e) => e.index <= this.log.committed) ?? [];
    if (unapplied.some((e) => e.type === 'conf')) return;
    this.campaign1(this.cfg.preVote && !transfer ? 'preVote' : 'vote', transfer);
  }

  private campaign1(kind: 'preVote' | 'vote', transfer: boolean): void {
    let term: number;
    if (kind === 'preVote') {
      this.becomePreCandidate();
      term = this.term + 1;
    } else {
      this.becomeCandidate();
      term = this.term;
    }
    this.cfg.log?.debug({ node: this.id, term, kind }, 'raft: campaigning');
    if (this.poll(this.id, true) === 'won') return this.wonElection(kind);
    for (const id of this.voters()) {
      if (id === this.id) continue;
      this.msgs.push({
        type: kind,
        from: this.id,
        to: id,
        term,
        index: this.log.lastIndex(),
        logTerm: this.log.lastTerm(),
        ...(transfer ? { context: TRANSFER } : {}),
      });
    }
  }

  private wonElection(kind: 'preVote' | 'vote'): void {
    if (kind === 'preVote') return this.campaign1('vote', false);
    this.becomeLeader();
    this.bcastAppend();
  }

  private poll(id: NodeId, granted: boolean): 'won' | 'lost' | 'pending' {
    if (!this.votes.has(id)) this.votes.set(id, granted);
    let yes = 0;
    let no = 0;
    for (const v of this.voters()) {
      const g = this.votes.get(v);
      if (g === true) yes++;
      else if (g === false) no++;
    }
    const q = this.quorum();
    if (yes >= q) return 'won';
    if (no > this.voters().length - q) return 'lost';
    return 'pending';
  }

  // ---- per-role steps ----------------------------------------------------------------------

  private stepLeader(m: Message): void {
    switch (m.type) {
      case 'beat':
        return this.bcastHeartbeat(this.readOnly.lastContext());
      case 'checkQuorum':
        if (!this.quorumActive()) {
          this.cfg.log?.warn({ node: this.id, term: this.term }, 'raft: leader lost contact with a quorum; stepping down');
          this.becomeFollower(this.term, '');
        }
        for (const [id, pr] of this.prs) {
          if (id === this.id) continue;
          pr.activeLastRound = pr.recentActive;
          pr.recentActive = false;
        }
        return;
      case 'readIndex':
        return this.leaderReadIndex(m);
      case 'transferLeader':
        return this.leaderTransfer(m.from);
    }
    const pr = this.prs.get(m.from);
    if (!pr) return;
    switch (m.type) {
      case 'appResp': {
        pr.recentActive = true;
        if (m.reject) {
          let hint = m.rejectHint ?? 0;
          if ((m.logTerm ?? 0) > 0) hint = this.log.findConflictByTerm(hint, m.logTerm!);
          if (pr.maybeDecrTo(m.index ?? 0, hint)) {
            if (pr.state === 'replicate') pr.becomeProbe();
            this.sendAppend(m.from);
          }
          return;
        }
        const wasPaused = pr.isPaused();
        if (pr.maybeUpdate(m.index ?? 0)) {
          if (pr.state === 'probe') pr.becomeReplicate();
          else if (pr.state === 'snapshot' && pr.match >= pr.pendingSnapshot) {
            pr.becomeProbe();
            pr.becomeReplicate();
          } else if (pr.state === 'replicate') pr.inflights.freeLE(m.index ?? 0);
          if (this.maybeCommit()) this.appendsDue = true;
          else if (wasPaused) this.sendAppend(m.from);
          while (this.sendAppend(m.from, false)) {
            // keep the pipe full while the window allows
          }
          if (m.from === this.leadTransferee && pr.match === this.log.lastIndex()) this.sendTimeoutNow(m.from);
        }
        return;
      }
      case 'heartbeatResp': {
        pr.recentActive = true;
        pr.probeSent = false;
        if (pr.state === 'replicate' && pr.inflights.full()) pr.inflights.freeFirst();
        if (pr.match < this.log.lastIndex()) this.sendAppend(m.from);
        if (m.context) this.ackRead(m.from, m.context);
        return;
      }
      case 'snapStatus':
        if (pr.state !== 'snapshot') return;
        if (m.reject) pr.pendingSnapshot = 0;
        pr.becomeProbe();
        // Wait for the next heartbeat's answer before probing again.
        pr.probeSent = true;
        return;
      case 'unreachable':
        if (pr.state === 'replicate') pr.becomeProbe();
        return;
    }
  }

  private stepCandidate(m: Message): void {
    switch (m.type) {
      case 'app':
        this.becomeFollower(m.term, m.from);
        return this.handleAppend(m);
      case 'heartbeat':
        this.becomeFollower(m.term, m.from);
        return this.handleHeartbeat(m);
      case 'snap':
        this.becomeFollower(m.term, m.from);
        return this.handleSnapshot(m);
      case 'voteResp':
      case 'preVoteResp': {
        if ((m.type === 'voteResp') !== (this.role === 'candidate')) return;
        const r = this.poll(m.from, !m.reject);
        if (r === 'won') this.wonElection(this.role === 'candidate' ? 'vote' : 'preVote');
        else if (r === 'lost') this.becomeFollower(this.term, '');
        return;
      }
    }
  }

  private stepFollower(m: Message): void {
    switch (m.type) {
      case 'app':
        this.electionElapsed = 0;
        this.lead = m.from;
        return this.handleAppend(m);
      case 'heartbeat':
        this.electionElapsed = 0;
        this.lead = m.from;
        return this.handleHeartbeat(m);
      case 'snap':
        this.electionElapsed = 0;
        this.lead = m.from;
        return this.handleSnapshot(m);
      case 'transferLeader':
        if (this.lead) this.msgs.push({ ...m, to: this.lead, term: this.term });
        return;
      case 'timeoutNow':
        // The leader hands over: campaign at once, past the others' leases.
        return this.hup(true);
      case 'readIndex':
        if (!this.lead) return;
        this.msgs.push({ ...m, from: this.id, to: this.lead, term: 0 });
        return;
      case 'readIndexResp':
        this.readStates.push({ index: m.index ?? 0, context: m.context ?? '' });
        return;
    }
  }

  // ---- followers' handling of the leader's messages ----------------------------------------

  private handleAppend(m: Message): void {
    const index = m.index ?? 0;
    if (index < this.log.committed) {
      this.send({ type: 'appResp', to: m.from, index: this.log.committed });
      return;
    }
    const lastNew = this.log.maybeAppend(index, m.logTerm ?? 0, m.commit ?? 0, m.entries ?? []);
    if (lastNew !== undefined) {
      if (!m.commitOnly) this.send({ type: 'appResp', to: m.from, index: lastNew });
      return;
    }
    // Tell the leader where our log could match, so it skips a whole term per round trip.
    const hintIndex = this.log.findConflictByTerm(Math.min(index, this.log.lastIndex()), m.logTerm ?? 0);
    this.send({ type: 'appResp', to: m.from, index, reject: true, rejectHint: hintIndex, logTerm: this.log.term(hintIndex) ?? 0 });
  }

  private handleHeartbeat(m: Message): void {
    this.log.commitTo(m.commit ?? 0);
    this.send({ type: 'heartbeatResp', to: m.from, ...(m.context ? { context: m.context } : {}) });
  }

  private handleSnapshot(m: Message): void {
    const s = m.snapshot!;
    if (this.restore(s)) {
      this.cfg.log?.info({ node: this.id, term: this.term, index: s.meta.index }, 'raft: installed snapshot from the leader');
      this.send({ type: 'appResp', to: m.from, index: this.log.lastIndex() });
    } else {
      this.send({ type: 'appResp', to: m.from, index: this.log.committed });
    }
  }

  private restore(s: Snapshot): boolean {
    if (s.meta.index <= this.log.committed) return false;
    if (this.log.matchTerm(s.meta.index, s.meta.term)) {
      // We have the snapshot's last entry: just move the commit forward.
      this.log.commitTo(s.meta.index);
      return false;
    }
    this.log.restore(s);
    this.setConf(s.meta.conf);
    return true;
  }

  private setConf(conf: ConfState): void {
    this.prs.clear();
    const next = this.log.lastIndex() + 1;
    for (const id of conf.voters) this.prs.set(id, new Progress(next, this.cfg.maxInflight, false));
    for (const id of conf.learners) this.prs.set(id, new Progress(next, this.cfg.maxInflight, true));
  }

  // ---- leader's replication ----------------------------------------------------------------

  private appendProposal(type: Entry['type'], data: string): { index: number; term: number } | undefined {
    if (this.role !== 'leader' || this.leadTransferee !== '' || !this.prs.has(this.id)) return undefined;
    const e: Entry = { term: this.term, index: this.log.lastIndex() + 1, type, data };
    this.log.append([e]);
    this.appendsDue = true;
    return { index: e.index, term: e.term };
  }

  /** Sends `to` the entries it lacks (or a snapshot); false if nothing was sent. */
  private sendAppend(to: NodeId, sendIfEmpty = true): boolean {
    const pr = this.prs.get(to);
    if (!pr || to === this.id || pr.isPaused()) return false;
    const prevIndex = pr.next - 1;
    const prevTerm = this.log.term(prevIndex);
    const ents = this.log.slice(pr.next, this.cfg.maxEntriesPerMsg, this.cfg.maxBytesPerMsg);
    if (prevTerm === undefined || ents === undefined) {
      // The follower needs entries compacted away: send the snapshot instead.
      const snap = this.log.snapshot;
      if (!pr.recentActive || !snap) return false;
      this.send({ type: 'snap', to, snapshot: snap });
      pr.becomeSnapshot(snap.meta.index);
      this.cfg.log?.info({ node: this.id, term: this.term, to, index: snap.meta.index }, 'raft: sending a snapshot to a follower that lags behind');
      return true;
    }
    if (ents.length === 0 && !sendIfEmpty) return false;
    // An empty append to a follower in replicate that acknowledged all it was sent only carries
    // the commit index: it needs no answer. With acknowledgements outstanding (maybe lost), the
    // answer is what lets the leader know the follower's log again.
    const commitOnly = ents.length === 0 && pr.state === 'replicate' && pr.match >= prevIndex;
    const m: Omit<Message, 'from' | 'term'> = { type: 'app', to, index: prevIndex, logTerm: prevTerm, entries: ents, commit: this.log.committed };
    if (commitOnly) m.commitOnly = true;
    this.send(m);
    pr.commitSent = this.log.committed;
    if (ents.length > 0) {
      const last = ents[ents.length - 1]!.index;
      if (pr.state === 'replicate') {
        pr.optimisticUpdate(last);
        pr.inflights.add(last);
      } else if (pr.state === 'probe') {
        pr.probeSent = true;
      }
    }
    return true;
  }

  private bcastAppend(): void {
    for (const id of this.prs.keys()) if (id !== this.id) this.sendAppend(id);
  }

  /** Sends each follower the entries it lacks, and the commit index where it has not seen it yet. */
  private sendAppends(): void {
    for (const [id, pr] of this.prs) if (id !== this.id) this.sendAppend(id, pr.commitSent < this.log.committed);
  }

  private bcastHeartbeat(context?: string): void {
    for (const [id, pr] of this.prs) {
      if (id === this.id) continue;
      // Never tell a follower to commit past what it is known to hold.
      const commit = Math.min(pr.match, this.log.committed);
      this.send({ type: 'heartbeat', to: id, commit, ...(context ? { context } : {}) });
    }
  }

  private tickHeartbeat(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    if (this.electionElapsed >= this.cfg.electionTicks) {
      this.electionElapsed = 0;
      if (this.cfg.checkQuorum) this.step({ type: 'checkQuorum', from: this.id, to: this.id, term: 0 });
      // A transfer that has not finished in an election timeout is given up.
      if (this.role === 'leader') this.leadTransferee = '';
    }
    if (this.role !== 'leader') return;
    if (this.heartbeatElapsed >= this.cfg.heartbeatTicks) {
      this.heartbeatElapsed = 0;
      this.step({ type: 'beat', from: this.id, to: this.id, term: 0 });
    }
  }

  private maybeCommit(): boolean {
    // Runs on every acknowledgement: the voters' matches are gathered without the voter list's arrays.
    const matches: number[] = [];
    for (const pr of this.prs.values()) if (!pr.learner) matches.push(pr.match);
    if (matches.length === 0 || !this.log.maybeCommit(majorityMatch(matches), this.term)) return false;
    this.releasePendingReads();
    return true;
  }

  private quorumActive(): boolean {
    let active = 0;
    for (const id of this.voters()) if (id === this.id || this.prs.get(id)!.recentActive) active++;
    return active >= this.quorum();
  }

  private leaderTransfer(to: NodeId): void {
    const pr = this.prs.get(to);
    if (!pr || pr.learner || to === this.id || to === this.leadTransferee) return;
    this.cfg.log?.info({ node: this.id, term: this.term, to }, 'raft: transferring leadership');
    this.electionElapsed = 0;
    this.leadTransferee = to;
    if (pr.match === this.log.lastIndex()) this.sendTimeoutNow(to);
    else this.sendAppend(to);
  }

  private sendTimeoutNow(to: NodeId): void {
    this.send({ type: 'timeoutNow', to });
  }

  // ---- read index --------------------------------------------------------------------------

  private committedEntryInCurrentTerm(): boolean {
    return this.log.term(this.log.committed) === this.term;
  }

  private leaderReadIndex(m: Message): void {
    if (!this.committedEntryInCurrentTerm()) {
      // Our commit index may be behind the previous leader's until our no-op commits.
      this.pendingReadIndex.push(m);
      return;
    }
    const context = m.context ?? '';
    if (this.voters().length === 1) return this.releaseRead({ index: this.log.committed, from: m.from, context });
    this.readOnly.add(this.log.committed, m.from, context);
    this.ackRead(this.id, context);
    this.bcastHeartbeat(context);
  }

  private ackRead(from: NodeId, context: string): void {
    const acks = this.readOnly.ack(from, context);
    if (!acks) return;
    let n = 0;
    for (const id of this.voters()) if (acks.has(id)) n++;
    if (n < this.quorum()) return;
    for (const req of this.readOnly.advance(context)) this.releaseRead(req);
  }

  private releaseRead(req: { index: number; from: NodeId; context: string }): void {
    if (req.from === this.id) this.readStates.push({ index: req.index, context: req.context });
    else this.send({ type: 'readIndexResp', to: req.from, index: req.index, context: req.context });
  }

  /** Serves the reads that waited for this leader's first commit. */
  private releasePendingReads(): void {
    if (this.role !== 'leader' || this.pendingReadIndex.length === 0 || !this.committedEntryInCurrentTerm()) return;
    const waiting = this.pendingReadIndex;
    this.pendingReadIndex = [];
    for (const m of waiting) this.leaderReadIndex(m);
  }

  // ---- helpers -----------------------------------------------------------------------------

  private voters(): NodeId[] {
    const out: NodeId[] = [];
    for (const [id, pr] of this.prs) if (!pr.learner) out.push(id);
    return out;
  }

  private quorum(): number {
    return Math.floor(this.voters().length / 2) + 1;
  }

  /** Stamps `m` (a literal of the caller's, not copied: this runs for every message) with its sender and term. */
  private send(m: Omit<Message, 'from' | 'term'> & { term?: number }): void {
    const out = m as Message;
    out.from = this.id;
    out.term = m.term ?? this.term;
    this.msgs.push(out);
  }
}

/**
 * The highest index a majority of `matches` has reached. Sorts them in place by insertion: a few
 * voters at most, and Array.prototype.sort allocates about 1 KB a call (TimSort's work arrays).
 */
function majorityMatch(matches: number[]): number {
  for (let i = 1; i < matches.length; i++) {
    const v = matches[i]!;
    let j = i - 1;
    for (; j >= 0 && matches[j]! < v; j--) matches[j + 1] = matches[j]!;
    matches[j + 1] = v;
  }
  return matches[Math.floor(matches.length / 2)]!;
}

function sameHardState(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}
