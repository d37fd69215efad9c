import type { Entry, HardState, Snapshot } from '../core/types.js';
import { emptyHardState, type PersistedState, type RaftStorage } from './types.js';

/**
 * Stable storage in memory, for the simulation: it survives a simulated crash of its member
 * (the simulation keeps the object and builds a new member on it). `tornWrite` makes the next
 * save keep only a prefix of its entries and throw, as a crash in the middle of a write would.
 */
export class MemoryStorage implements RaftStorage {
  private hardState: HardState = emptyHardState();
  private snapshot: Snapshot | undefined;
  private entries: Entry[] = [];
  /** Set by the simulation: how many of the next save's entries reach the disk before the crash. */
  tornWrite: number | undefined;

  /** Nothing is kept at rest here: there is no data key to seal. */
  setUnlockKey(): void {}

  load(): PersistedState {
    return { hardState: { ...this.hardState }, snapshot: this.snapshot, entries: [...this.entries] };
  }

  save(hardState: HardState | undefined, entries: readonly Entry[]): void {
    const torn = this.tornWrite;
    this.tornWrite = undefined;
    const kept = torn === undefined ? entries : entries.slice(0, torn);
    if (kept.length) {
      const first = kept[0]!.index;
      const base = this.snapshot?.meta.index ?? 0;
      this.entries.length = Math.max(0, Math.min(this.entries.length, first - base - 1));
      this.entries.push(...kept);
    }
    if (torn !== undefined) throw new SimulatedCrash('crash in the middle of a log write');
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
