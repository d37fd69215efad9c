import type { Entry, HardState, Snapshot } from '../core/types.js';

/** What a member had on stable storage: the core restarts from it. */
export interface PersistedState {
  hardState: HardState;
  snapshot?: Snapshot;
  /** Entries after the snapshot, contiguous. */
  entries: Entry[];
}

/** Stable storage of one member. Every write is durable (fsynced) when the call returns. */
export interface RaftStorage {
  load(): PersistedState;
  /** Appends `entries` (replacing any suffix they overwrite) and records `hardState`, in one durable write. */
  save(hardState: HardState | undefined, entries: readonly Entry[]): void;
  /** Keeps `snapshot`, taken of our own state machine, as the newest and releases what it covers. */
  saveSnapshot(snapshot: Snapshot): void;
  /** A snapshot from the leader replaces the whole log: no entry from before it survives a restart. */
  installSnapshot(snapshot: Snapshot): void;
  /** Autolock turned on, its key rotated, or turned off: the data key is sealed by the new unlock key (or kept in the clear). */
  setUnlockKey(unlockKey: string | undefined): void;
  close(): void;
}

export const emptyHardState = (): HardState => ({ term: 0, vote: '', commit: 0 });
