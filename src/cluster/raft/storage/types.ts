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
   */
  save(hardState: HardState | undefined, entries: readonly Entry[]): Promise<void>;
  /** Keeps `snapshot`, taken of our own state machine, as the newest and releases what it covers. */
  saveSnapshot(snapshot: Snapshot): void;
  /** A snapshot from the leader replaces the whole log: no entry from before it survives a restart. */
  installSnapshot(snapshot: Snapshot): void;
  /** Autolock turned on, its key rotated, or turned off: the data key is sealed by the new unlock key (or kept in the clear). */
  setUnlockKey(unlockKey: string | undefined): void;
  close(): void;
}

export const emptyHardState = (): HardState => ({ term: 0, vote: '', commit: 0 });

/** Whether a write must be synced before it counts: entries, or a new term or vote (etcd's MustSync); not a commit index alone. */
export const mustSync = (stored: HardState, hardState: HardState | undefined, entries: readonly Entry[]): boolean =>
  entries.length > 0 || (hardState !== undefined && (hardState.term !== stored.term || hardState.vote !== stored.vote));
