/** Members are named by their Shoal node ID. `''` means "nobody" (no vote cast, no known leader). */
export type NodeId = string;

/** `normal` entries carry the state machine's commands; `conf` entries carry a ConfChange. */
export type EntryType = 'normal' | 'conf';

export interface Entry {
  term: number;
  index: number;
  type: EntryType;
  /** Opaque to the core; empty for the no-op a new leader appends. */
  data: string;
}

/** What must be on disk before any message of the same Ready is sent. */
export interface HardState {
  term: number;
  vote: NodeId;
  commit: number;
}

export interface ConfState {
  voters: NodeId[];
  learners: NodeId[];
}

export interface SnapshotMeta {
  index: number;
  term: number;
  conf: ConfState;
}

export interface Snapshot {
  meta: SnapshotMeta;
  /** The state machine as of `meta.index`, opaque to the core. */
  data: string;
}

export type MessageType =
  // local: never sent over the wire
  | 'hup'
  | 'beat'
  | 'checkQuorum'
  | 'prop'
  | 'snapStatus'
  | 'unreachable'
  // between members
  | 'app'
  | 'appResp'
  | 'vote'
  | 'voteResp'
  | 'preVote'
  | 'preVoteResp'
  | 'snap'
  | 'heartbeat'
  | 'heartbeatResp'
  | 'transferLeader'
  | 'timeoutNow'
  | 'readIndex'
  | 'readIndexResp';

export interface Message {
  type: MessageType;
  from: NodeId;
  to: NodeId;
  term: number;
  /** app: term of the entry at `index`; vote: last log term; appResp reject: the hint's term. */
  logTerm?: number;
  /** app: index before `entries`; appResp: last matched (or rejected) index; vote: last log index; readIndexResp: read index. */
  index?: number;
  entries?: Entry[];
  commit?: number;
  reject?: boolean;
  rejectHint?: number;
  snapshot?: Snapshot;
  /** vote: 'transfer' for a leader transfer; heartbeat, readIndex: the read request's context. */
  context?: string;
  /** app: no entries, only a new commit index for a follower whose log is known; answered only if refused. */
  commitOnly?: boolean;
}

export type Role = 'follower' | 'preCandidate' | 'candidate' | 'leader';

export interface SoftState {
  lead: NodeId;
  role: Role;
}

/** A read index granted by a quorum: reads at or after `index` applied are linearizable. */
export interface ReadState {
  index: number;
  context: string;
}

/** One batch of work for the driver: persist, then send, then apply, then `advance()`. */
export interface Ready {
  /**
   * The messages may go out before the entries and hard state are persisted: a leader's appends
   * and heartbeats at a term already on disk, sent while it writes its own copy (Raft thesis
   * §10.2.1). The leader counts itself toward a quorum only once `advance()` says its entries are
   * persisted. Otherwise the messages go out only after persisting (a vote or an acknowledgement
   * promises what is on disk).
   */
  sendNow: boolean;
  softState?: SoftState;
  hardState?: HardState;
  /** Entries to append to stable storage (may replace a suffix: truncate from entries[0].index). */
  entries: Entry[];
  /** A snapshot received from the leader, to persist and restore the state machine from. */
  snapshot?: Snapshot;
  committed: Entry[];
  messages: Message[];
  readStates: ReadState[];
}

export const isLocalMessage = (t: MessageType): boolean =>
  t === 'hup' || t === 'beat' || t === 'checkQuorum' || t === 'prop' || t === 'snapStatus' || t === 'unreachable';

export const isResponse = (t: MessageType): boolean =>
  t === 'appResp' || t === 'voteResp' || t === 'preVoteResp' || t === 'heartbeatResp' || t === 'readIndexResp';
