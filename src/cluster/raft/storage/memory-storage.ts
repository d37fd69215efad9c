import type { Entry, HardState, Snapshot } from '../core/types.js';
import { emptyHardState, mustSync, type PersistedState, type RaftStorage } from './types.js';

/**
 * Stable storage in memory, for the simulation: it survives a simulated crash of its member
 * (the simulation keeps the object and builds a new member on it). A write becomes durable when
 * `syncDelay` runs its callback (at once without it); a crash before that loses it. `tornWrite`
 * makes the next save keep only a prefix of its entries and fail, as a crash in the middle of a
 * write would.
 */
export class MemoryStorage implements RaftStorage {
  private hardState: HardState = emptyHardState();
  private snapshot: Snapshot | undefined;
  private entries: Entry[] = [];
  /** Set by the simulation: how many of the next save's entries reach the disk before the crash. */
  tornWrite: number | undefined;
  /** Set by the simulation: calls `synced` once the write's fsync would have returned. */
  syncDelay: ((synced: () => void) => void) | undefined;
  /** Bumped by each crash: writes of an earlier generation never become durable. */
  private generation = 0;

  /** Nothing is kept at rest here: there is no data key to seal. */
  setUnlockKey(): void {}

  load(): PersistedState {
    return { hardState: { ...this.hardState }, snapshot: this.snapshot, entries: [...this.entries] };
  }

  save(hardState: HardState | undefined, entries: readonly Entry[]): Promise<void> {
    const torn = this.tornWrite;
    this.tornWrite = undefined;
    if (torn !== undefined) {
      this.persist(undefined, entries.slice(0, torn));
      return Promise.reject(new SimulatedCrash('crash in the middle of a log write'));
    }
    if (!this.syncDelay || !mustSync(this.hardState, hardState, entries)) {
      this.persist(hardState, entries);
      return Promise.resolve();
    }
    const generation = this.generation;
    return new Promise((resolve, reject) =>
      this.syncDelay!(() => {
        if (generation !== this.generation) return reject(new SimulatedCrash('crashed before the write was synced'));
        this.persist(hardState, entries);
        resolve();
      }),
    );
  }

  /** The member crashed: its writes not synced yet are lost. */
  crash(): void {
    this.generation++;
  }

  private persist(hardState: HardState | undefined, entries: readonly Entry[]): void {
    if (entries.length) {
      // By index: the entries from `first` on are replaced, and none a snapshot covers is kept (a
      // snapshot may be taken past the entries written yet: committed entries apply before this
      // member's own copy is synced). The WAL replays the same way.
      const first = entries[0]!.index;
      const base = this.snapshot?.meta.index ?? 0;
      this.entries = this.entries.filter((e) => e.index < first).concat(entries.filter((e) => e.index > base));
    }
    if (hardState) this.hardState = { ...hardState };
  }

  saveSnapshot(snapshot: Snapshot): void {
    if (this.snapshot && snapshot.meta.index <= this.snapshot.meta.index) return;
    this.entries = this.entries.filter((e) => e.index > snapshot.meta.index);
    this.snapshot = snapshot;
    if (this.hardState.commit < snapshot.meta.index) this.hardState = { ...this.hardState, commit: snapshot.meta.index };
  }

  installSnapshot(snapshot: Snapshot): void {
    this.entries = [];
    this.snapshot = snapshot;
    this.hardState = { ...this.hardState, commit: Math.max(this.hardState.commit, snapshot.meta.index) };
  }

  close(): void {}
}

/** Thrown by a storage to say its member has crashed: the driver stops on it. */
export class SimulatedCrash extends Error {}
