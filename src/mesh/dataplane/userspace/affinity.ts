// Client-IP affinity of a userspace route (a published port with `shoal.affinity.<port>`): client
// address → backend address and when the client last opened a connection, in shared memory, so the
// splice threads and the main thread (UDP, Node's TCP path) see one table. Open addressing over a
// fixed number of slots with bounded probing: lookups and writes touch PROBE slots at most, under a
// spin lock held for those few array accesses (as balance.ts's inboxes). A full neighbourhood
// overwrites its least recently used entry; an expired entry counts as free.

/** Slots of a table (clients remembered at most; more recent ones push out the least recent of a neighbourhood). */
const BITS = 14;
const SLOTS = 1 << BITS;
/** Slots looked at per lookup or write. */
const PROBE = 16;
/** A slot: client address, backend address (0: never used; TOMB: forgotten), last use (seconds). */
const ENTRY = 3;
const TOMB = -1;
const FREE = 0;
const LOCKED = 1;

export const affinityMemory = (): SharedArrayBuffer => new SharedArrayBuffer(4 * (1 + SLOTS * ENTRY));

/** "10.0.0.11" → its unsigned 32-bit number. */
export const ipv4Number = (address: string): number => address.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
export const ipv4String = (n: number): string => [24, 16, 8, 0].map((shift) => (n >>> shift) & 255).join('.');

export class AffinityTable {
  private readonly ints: Int32Array;

  constructor(
    readonly memory: SharedArrayBuffer,
    /** How long a client may open no connection before it is balanced anew. */
    readonly timeoutSeconds: number,
  ) {
    this.ints = new Int32Array(memory);
  }

  /** The backend `client` last went to, if it did within the timeout (its last use is now `nowMs`); undefined otherwise. */
  lookup(client: number, nowMs: number): string | undefined {
    const now = seconds(nowMs);
    return this.locked(() => {
      const at = this.find(client, now);
      if (at < 0) return undefined;
      this.ints[at + 2] = now;
      return ipv4String(this.ints[at + 1]! >>> 0);
    });
  }

  /** `client`'s new connection went to `backend`. */
  record(client: number, backend: string, nowMs: number): void {
    const now = seconds(nowMs);
    this.locked(() => {
      let at = this.find(client, now);
      if (at < 0) at = this.free(client, now);
      this.ints[at] = client | 0;
      this.ints[at + 1] = ipv4Number(backend) | 0;
      this.ints[at + 2] = now;
    });
  }

  /** Forgets every client sent to a backend not in `live` (it left the table: nobody may be sent there by affinity). */
  keepOnly(live: ReadonlySet<string>): void {
    const keep = new Set([...live].map((a) => ipv4Number(a) | 0));
    this.locked(() => {
      for (let at = 1; at < this.ints.length; at += ENTRY) {
        const b = this.ints[at + 1]!;
        if (b !== FREE && b !== TOMB && !keep.has(b)) this.ints[at + 1] = TOMB;
      }
    });
  }

  /** The slot of a live entry of `client`, or -1. */
  private find(client: number, now: number): number {
    for (let i = 0, at = slot(client); i < PROBE; i++, at = next(at)) {
      const b = this.ints[at + 1]!;
      if (b === FREE) return -1;
      if (b !== TOMB && this.ints[at] === (client | 0)) return now - this.ints[at + 2]! < this.timeoutSeconds ? at : -1;
    }
    return -1;
  }

  /** A slot to write `client` to: the first unused, forgotten or expired one of its neighbourhood, else its least recently used. */
  private free(client: number, now: number): number {
    let oldest = -1;
    for (let i = 0, at = slot(client); i < PROBE; i++, at = next(at)) {
      const b = this.ints[at + 1]!;
      if (b === FREE || b === TOMB || now - this.ints[at + 2]! >= this.timeoutSeconds) return at;
      if (oldest < 0 || this.ints[at + 2]! < this.ints[oldest + 2]!) oldest = at;
    }
    return oldest;
  }

  private locked<T>(fn: () => T): T {
    while (Atomics.compareExchange(this.ints, 0, FREE, LOCKED) !== FREE);
    try {
      return fn();
    } finally {
      Atomics.store(this.ints, 0, FREE);
    }
  }
}

const seconds = (ms: number): number => Math.floor(ms / 1000);
/** The first slot of a client (a multiplicative hash: neighbouring addresses spread). */
const slot = (client: number): number => 1 + (Math.imul(client | 0, 0x9e3779b1) >>> (32 - BITS)) * ENTRY;
const next = (at: number): number => (at + ENTRY >= 1 + SLOTS * ENTRY ? 1 : at + ENTRY);

/**
 * A new connection's backend with affinity: the one its client went to last, if `usable` (still a
 * backend, not tried or failing), else `balance`'s pick, which the client keeps from now on.
 */
export function stickyPick(table: AffinityTable, client: number, now: number, usable: (address: string) => boolean, balance: () => string | undefined): string | undefined {
  const last = client ? table.lookup(client, now) : undefined;
  if (last !== undefined && usable(last)) return last;
  const chosen = balance();
  if (chosen !== undefined && client) table.record(client, chosen, now);
  return chosen;
}
