import type { Entry, HardState, Snapshot } from '../core/types.js';

/** What a member had on stable storage: the core restarts from it. */
export interface PersistedState {
  hardState: HardState;
  snapshot?: Snapshot;
  /** Entries after the snapshot, contiguous. */
  entries: Entry[];
}

/** Stable storage of one member. Snapshots are durable when the call returns, log writes when `save` resolves. */
export interface RaftStorage {
  load(): PersistedState;
  /**
   * Appends `entries` (replacing any suffix they overwrite) and records `hardState`, in one write
   * made at once, in call order; resolves when it is durable (fsynced), rejects if it cannot be.
   * A hard state that only moves the commit index (volatile in Raft) may wait for the next write.
   */
  save(hardState: HardState | undefined, entries: readonly Entry[]): Promise<void>;
  /** Keeps `snapshot`, taken of our own state machine, as the newest and releases what it covers. */
  saveSnapshot(snapshot: Snapshot): void;
  /** A snapshot from the leader replaces the whole log: no entry from before it survives a restart. */
  installSnapshot(snapshot: Snapshot): void;
  close(): void;
}

export const emptyHardState = (): HardState => ({ term: 0, vote: '', commit: 0 });
