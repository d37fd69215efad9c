// How the splice threads share connections. The kernel wakes one thread per connection on a listening
// socket (EPOLLEXCLUSIVE), the first idle one in the order they registered: one thread would take
// every connection of a burst (16 keep-alive clients all on one thread, the other idle). So each
// thread counts its connections in shared memory, and one that accepts while it holds more than the
// least loaded thread (by more than SLACK) hands the new connection to that thread: through the
// receiver's inbox (shared memory, a lock per inbox), which it looks at every turn of its loop, and
// its eventfd when it is waiting for events (a write and a wake-up saved while it is busy).

/** How many more connections than the least loaded thread a thread keeps before handing new ones over. */
const SLACK = 1;
/** Connections an inbox holds, at most (a full one: the accepting thread keeps the connection). */
const INBOX = 256;
/** An inbox entry: the client's fd, its listener's id, its route's id. */
const ENTRY = 3;
/** An inbox: lock, count, whether its thread waits for events (or is about to), then the entries. */
const HEADER = 3;
const COUNT = 1;
const WAITING = 2;
const INBOX_INTS = HEADER + INBOX * ENTRY;
const FREE = 0;
const LOCKED = 1;
/** A thread that stopped: it takes no more connections. */
const CLOSED = 2;

/** The shared memory of every thread's connection count and inbox (made once by Splicer, given to each thread). */
export interface BalanceMemory {
  loads: SharedArrayBuffer;
  inboxes: SharedArrayBuffer;
}

export const balanceMemory = (threads: number): BalanceMemory => ({
  loads: new SharedArrayBuffer(4 * threads),
  inboxes: new SharedArrayBuffer(4 * INBOX_INTS * threads),
});

/** A connection handed to a thread by the one that accepted it. */
export interface HandedOver {
  fd: number;
  listener: number;
  route: number;
}

/** One thread's side: its count kept up to date, connections handed over to others, and those handed to it. */
export class ThreadBalance {
  private readonly loads: Int32Array;
  private readonly inboxes: Int32Array;
  /** Threads given connections this turn of the loop, to wake once at its end. */
  private readonly woken = new Set<number>();

  constructor(
    memory: BalanceMemory,
    private readonly index: number,
    private readonly wakeFds: number[],
    private readonly signal: (fd: number) => void,
  ) {
    this.loads = new Int32Array(memory.loads);
    this.inboxes = new Int32Array(memory.inboxes);
  }

  /** A connection this thread holds from now on (accepted and kept, or taken from its inbox). */
  opened(): void {
    Atomics.add(this.loads, this.index, 1);
  }

  closed(): void {
    Atomics.sub(this.loads, this.index, 1);
  }

  /** The thread a connection just accepted goes to, when this one holds more than it by over SLACK; its inbox got it (false: keep it here). */
  handOver(c: HandedOver): boolean {
    let to = this.index;
    let least = Atomics.load(this.loads, this.index) - SLACK;
    for (let t = 0; t < this.wakeFds.length; t++) {
      const load = Atomics.load(this.loads, t);
      if (load < least) [to, least] = [t, load];
    }
    if (to === this.index || !this.put(to, c)) return false;
    Atomics.add(this.loads, to, 1);
    this.woken.add(to);
    return true;
  }

  /** Wakes the threads given connections since the last call that wait for events (the others see them at the end of their turn). */
  wake(): void {
    for (const t of this.woken) if (Atomics.load(this.inboxes, t * INBOX_INTS + WAITING) === 1) this.signal(this.wakeFds[t]!);
    this.woken.clear();
  }

  /** This thread is about to wait for events: whether it may (nothing in its inbox; from now on, a thread handing it one wakes it). */
  mayWait(): boolean {
    const at = this.index * INBOX_INTS;
    Atomics.store(this.inboxes, at + WAITING, 1);
    return Atomics.load(this.inboxes, at + COUNT) === 0;
  }

  /** This thread is busy again (it takes its inbox at the end of this turn). */
  busy(): void {
    Atomics.store(this.inboxes, this.index * INBOX_INTS + WAITING, 0);
  }

  /** Whether something waits in this thread's inbox. */
  get handed(): boolean {
    return Atomics.load(this.inboxes, this.index * INBOX_INTS + COUNT) > 0;
  }

  /** The connections handed to this thread since the last call (each already counted as its own: `closed` when it ends). */
  take(): HandedOver[] {
    return this.empty(FREE);
  }

  /** This thread stops: no more connections are handed to it; those waiting in its inbox are returned (to be reset). */
  close(): HandedOver[] {
    return this.empty(CLOSED);
  }

  /** Empties this thread's inbox, which is then left `state`. */
  private empty(state: number): HandedOver[] {
    const at = this.index * INBOX_INTS;
    if (!this.lock(at)) return [];
    const n = this.inboxes[at + COUNT]!;
    const taken: HandedOver[] = [];
    for (let i = 0; i < n; i++) {
      const e = at + HEADER + i * ENTRY;
      taken.push({ fd: this.inboxes[e]!, listener: this.inboxes[e + 1]!, route: this.inboxes[e + 2]! });
    }
    Atomics.store(this.inboxes, at + COUNT, 0);
    Atomics.store(this.inboxes, at, state);
    return taken;
  }

  private put(to: number, c: HandedOver): boolean {
    const at = to * INBOX_INTS;
    if (!this.lock(at)) return false;
    const n = this.inboxes[at + COUNT]!;
    if (n < INBOX) {
      const e = at + HEADER + n * ENTRY;
      [this.inboxes[e], this.inboxes[e + 1], this.inboxes[e + 2]] = [c.fd, c.listener, c.route];
      Atomics.store(this.inboxes, at + COUNT, n + 1);
    }
    Atomics.store(this.inboxes, at, FREE);
    return n < INBOX;
  }

  /** Takes an inbox's lock (held for a few array accesses: spinning is cheaper than anything else); false if its thread stopped. */
  private lock(at: number): boolean {
    for (;;) {
      const was = Atomics.compareExchange(this.inboxes, at, FREE, LOCKED);
      if (was === FREE) return true;
      if (was === CLOSED) return false;
    }
  }
}
