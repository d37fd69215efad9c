import type { Entry, Snapshot } from './types.js';

/**
 * The core's view of the log: the entries after the last compaction point, all in memory, with
 * the marks that say how far they are persisted (`stable`), committed and applied. The driver
 * persists what lies past `stable` and reports back through `stableTo`.
 */
export class RaftLog {
  /** Index and term of the entry just before `entries[0]` (the compaction point). */
  private offsetIndex: number;
  private offsetTerm: number;
  private entries: Entry[] = [];
  /** Entries up to here are on stable storage. */
  private stable: number;
  committed: number;
  applied: number;
  /** The newest snapshot, sent to followers that need entries we no longer have. */
  snapshot: Snapshot | undefined;
  /** A snapshot received from the leader and not yet persisted. */
  unstableSnapshot: Snapshot | undefined;

  constructor(snapshot: Snapshot | undefined, entries: readonly Entry[], committed: number) {
    this.snapshot = snapshot;
    this.offsetIndex = snapshot?.meta.index ?? 0;
    this.offsetTerm = snapshot?.meta.term ?? 0;
    this.entries = entries.filter((e) => e.index > this.offsetIndex);
    if (this.entries.length && this.entries[0]!.index !== this.offsetIndex + 1) {
      throw new Error(`log has a gap: snapshot at ${this.offsetIndex}, first entry ${this.entries[0]!.index}`);
    }
    this.stable = this.lastIndex();
    this.applied = this.offsetIndex;
    this.committed = Math.max(committed, this.offsetIndex);
    if (this.committed > this.lastIndex()) throw new Error(`commit ${committed} is past the last index ${this.lastIndex()}`);
  }

  firstIndex(): number {
    return this.offsetIndex + 1;
  }

  lastIndex(): number {
    return this.offsetIndex + this.entries.length;
  }

  lastTerm(): number {
    return this.term(this.lastIndex())!;
  }

  /** The term of entry `i`, or undefined when it is compacted away or not there yet. */
  term(i: number): number | undefined {
    if (i === this.offsetIndex) return this.offsetTerm;
    if (i < this.offsetIndex || i > this.lastIndex()) return undefined;
    return this.entries[i - this.offsetIndex - 1]!.term;
  }

  matchTerm(i: number, term: number): boolean {
    return this.term(i) === term;
  }

  /** §5.4.1: a candidate's log is at least as up to date as ours. */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    return lastTerm > this.lastTerm() || (lastTerm === this.lastTerm() && lastIndex >= this.lastIndex());
  }

  /** Entries from `lo` on, at most `maxCount` and about `maxBytes` (at least one); undefined if `lo` is compacted. */
  slice(lo: number, maxCount = Infinity, maxBytes = Infinity): Entry[] | undefined {
    if (lo <= this.offsetIndex) return undefined;
    const out: Entry[] = [];
    let bytes = 0;
    for (let i = lo - this.offsetIndex - 1; i < this.entries.length && out.length < maxCount; i++) {
      const e = this.entries[i]!;
      bytes += e.data.length + 24;
      if (out.length > 0 && bytes > maxBytes) break;
      out.push(e);
    }
    return out;
  }

  /** Appends entries, replacing any suffix they overwrite (never a committed one). */
  append(ents: readonly Entry[]): void {
    if (ents.length === 0) return;
    const first = ents[0]!.index;
    if (first <= this.committed) throw new Error(`append at ${first} would overwrite committed entry ${this.committed}`);
    if (first > this.lastIndex() + 1) throw new Error(`append at ${first} leaves a gap after ${this.lastIndex()}`);
    this.entries.length = first - this.offsetIndex - 1;
    this.entries.push(...ents);
    this.stable = Math.min(this.stable, first - 1);
  }

  /** §5.3: accepts the leader's entries after (index, logTerm) if we have that entry; returns the new last index. */
  maybeAppend(index: number, logTerm: number, committed: number, ents: readonly Entry[]): number | undefined {
    if (!this.matchTerm(index, logTerm)) return undefined;
    const lastNew = index + ents.length;
    const conflict = this.findConflict(ents);
    if (conflict !== 0) this.append(ents.slice(conflict - index - 1));
    this.commitTo(Math.min(committed, lastNew));
    return lastNew;
  }

  /** The first entry whose index we lack or whose term differs from ours; 0 if none. */
  private findConflict(ents: readonly Entry[]): number {
    for (const e of ents) if (!this.matchTerm(e.index, e.term)) return e.index;
    return 0;
  }

  /** The largest index ≤ `index` whose term is ≤ `term`: where a rejected leader should probe next. */
  findConflictByTerm(index: number, term: number): number {
    for (; index > 0; index--) {
      const t = this.term(index);
      if (t === undefined || t <= term) return index;
    }
    return 0;
  }

  commitTo(i: number): void {
    if (i <= this.committed) return;
    if (i > this.lastIndex()) throw new Error(`commit ${i} is past the last index ${this.lastIndex()}`);
    this.committed = i;
  }

  /** §5.4.2: only an entry of the leader's current term is committed by counting replicas. */
  maybeCommit(i: number, term: number): boolean {
    if (i > this.committed && this.term(i) === term) {
      this.commitTo(i);
      return true;
    }
    return false;
  }

  nextCommitted(): Entry[] {
    const lo = Math.max(this.applied + 1, this.firstIndex());
    return lo > this.committed ? [] : this.slice(lo)!.filter((e) => e.index <= this.committed);
  }

  hasNextCommitted(): boolean {
    return this.committed > Math.max(this.applied, this.offsetIndex);
  }

  hasUnstableEntries(): boolean {
    return this.entries.length > this.stable - this.offsetIndex;
  }

  unstableEntries(): Entry[] {
    return this.entries.slice(this.stable - this.offsetIndex);
  }

  /** The last entry on stable storage. */
  stableIndex(): number {
    return this.stable;
  }

  stableTo(index: number, term: number): void {
    if (index > this.stable && this.matchTerm(index, term)) this.stable = index;
  }

  /** Replaces the whole log by a snapshot from the leader. */
  restore(snapshot: Snapshot): void {
    this.offsetIndex = snapshot.meta.index;
    this.offsetTerm = snapshot.meta.term;
    this.entries = [];
    this.stable = snapshot.meta.index;
    this.committed = snapshot.meta.index;
    this.snapshot = snapshot;
    this.unstableSnapshot = snapshot;
  }

  /** Forgets entries covered by `snapshot`, keeping the last `keep` of them for slow followers. */
  compact(snapshot: Snapshot, keep: number): void {
    if (snapshot.meta.index > this.applied) throw new Error(`snapshot at ${snapshot.meta.index} is past the applied index ${this.applied}`);
    this.snapshot = snapshot;
    const to = Math.min(snapshot.meta.index - keep, this.stable);
    if (to <= this.offsetIndex) return;
    this.offsetTerm = this.term(to)!;
    this.entries = this.entries.slice(to - this.offsetIndex);
    this.offsetIndex = to;
  }
}
