/** The last indexes of appends sent to one follower and not acknowledged yet (a bounded window). */
export class Inflights {
  private readonly buf: number[] = [];

  constructor(readonly capacity: number) {}

  add(last: number): void {
    this.buf.push(last);
  }

  /** Frees every append up to `index`, acknowledged. */
  freeLE(index: number): void {
    let n = 0;
    while (n < this.buf.length && this.buf[n]! <= index) n++;
    this.buf.splice(0, n);
  }

  freeFirst(): void {
    this.buf.shift();
  }

  full(): boolean {
    return this.buf.length >= this.capacity;
  }

  get count(): number {
    return this.buf.length;
  }

  reset(): void {
    this.buf.length = 0;
  }
}

/**
 * What the leader knows of one follower's log. `probe`: one append at a time until a match is
 * found; `replicate`: appends streamed optimistically, bounded by the inflight window;
 * `snapshot`: waiting for a snapshot to be installed.
 */
export class Progress {
  match = 0;
  next: number;
  state: 'probe' | 'replicate' | 'snapshot' = 'probe';
  pendingSnapshot = 0;
  /** Heard from since the last check-quorum round. */
  recentActive = false;
  /** Heard from in the round before (status only: a member is not shown lost just because a round began). */
  activeLastRound = false;
  /** In probe: an append is out, wait for its answer (or the next heartbeat). */
  probeSent = false;
  /** The commit index in the last append sent. */
  commitSent = 0;
  readonly inflights: Inflights;

  constructor(
    next: number,
    maxInflight: number,
    public learner: boolean,
  ) {
    this.next = next;
    this.inflights = new Inflights(maxInflight);
  }

  becomeProbe(): void {
    // After a snapshot, continue right after it.
    const next = this.state === 'snapshot' ? Math.max(this.match + 1, this.pendingSnapshot + 1) : this.match + 1;
    this.reset('probe');
    this.next = next;
  }

  becomeReplicate(): void {
    this.reset('replicate');
    this.next = this.match + 1;
  }

  becomeSnapshot(index: number): void {
    this.reset('snapshot');
    this.pendingSnapshot = index;
  }

  private reset(state: Progress['state']): void {
    this.state = state;
    this.probeSent = false;
    this.pendingSnapshot = 0;
    this.inflights.reset();
  }

  /** A successful append response up to `n`; false if it tells nothing new. */
  maybeUpdate(n: number): boolean {
    let updated = false;
    if (this.match < n) {
      this.match = n;
      updated = true;
      this.probeSent = false;
    }
    this.next = Math.max(this.next, n + 1);
    return updated;
  }

  optimisticUpdate(n: number): void {
    this.next = n + 1;
  }

  /** A rejected append at `rejected`; the follower hints its log matches up to `matchHint` at best. */
  maybeDecrTo(rejected: number, matchHint: number): boolean {
    if (this.state === 'replicate') {
      if (rejected <= this.match) return false; // stale
      this.next = this.match + 1;
      return true;
    }
    if (this.next - 1 !== rejected) return false; // stale
    this.next = Math.max(Math.min(rejected, matchHint + 1), 1);
    this.probeSent = false;
    return true;
  }

  isPaused(): boolean {
    if (this.state === 'probe') return this.probeSent;
    if (this.state === 'replicate') return this.inflights.full();
    return true;
  }
}
