import type { ProxyProtocol } from '../../proxy-protocol/header.js';
import type { Backend } from '../plan.js';
import { affinityMemory, AffinityTable, ipv4Number, stickyPick } from './affinity.js';
import type { ThreadRoute } from './splice-protocol.js';

/** How long a backend that refused or timed out is tried only after the others. */
export const FAILED_BACKEND_COOLDOWN_MS = 2000;

/** What a route counted since it was made (kept across table versions, like the route). */
export class RouteCounters {
  connections = 0;
  active = 0;
  failed = 0;
  retries = 0;
  bytesIn = 0;
  bytesOut = 0;
  readonly backends = new Map<string, { connections: number; active: number }>();

  backend(address: string): { connections: number; active: number } {
    let b = this.backends.get(address);
    if (!b) this.backends.set(address, (b = { connections: 0, active: 0 }));
    return b;
  }
}

let routes = 0;

/**
 * Where new connections of one entry point and port go: round robin over the backends, with
 * backends that just failed moved to the back. Kept across table versions (backends are swapped
 * in place), so a connection retrying after a swap sees the current backends.
 */
export class Route {
  readonly id = ++routes;
  /** The round-robin position (mod the backend count), shared with the splice threads that pick backends for the connections they accept. */
  readonly turn = new Int32Array(new SharedArrayBuffer(4));
  private backends: Backend[] = [];
  /** Addresses of the backends that left at the last change to drain. */
  private draining: string[] = [];
  private threadView?: ThreadRoute;
  private readonly failedAt = new Map<string, number>();
  readonly counters = new RouteCounters();
  /** Client-IP affinity, when the route's port has it (its memory kept while the timeout stays). */
  private affinity?: AffinityTable;
  /** Connections to a backend that have exchanged no byte yet, by backend address: see whileUnanswered. */
  private readonly unanswered = new Map<string, Set<() => void>>();

  constructor(
    readonly service: string,
    /** `tcp/8080` or `vip/10.0.1.5`. */
    readonly entry: string,
    /** The port to connect to on a backend. */
    readonly port: number,
    /** The PROXY protocol header each connection sends its backend first, if any. */
    readonly proxyProtocol?: ProxyProtocol,
  ) {}

  get size(): number {
    return this.backends.length;
  }

  /** The route as the splice threads take it; the same object until its backends change. */
  forThreads(): ThreadRoute {
    if (this.threadView) return this.threadView;
    const a = this.affinity;
    const options = { ...(this.proxyProtocol ? { proxyProtocol: this.proxyProtocol } : {}), ...(a ? { affinity: { memory: a.memory, timeoutSeconds: a.timeoutSeconds } } : {}) };
    return (this.threadView = { id: this.id, port: this.port, backends: this.backends.map((b) => b.address), draining: this.draining, turn: this.turn, ...options });
  }

  /** Client-IP affinity with this timeout in seconds (undefined: none); a new timeout starts an empty table. */
  setAffinity(seconds: number | undefined): void {
    if (this.affinity?.timeoutSeconds === seconds) return;
    this.affinity = seconds ? new AffinityTable(affinityMemory(), seconds) : undefined;
    this.threadView = undefined;
  }

  has(address: string): boolean {
    return this.backends.some((b) => b.address === address);
  }

  /** New backends; `draining`: addresses of the plan's draining tasks (those of this route's leaving backends are told to the threads). */
  setBackends(backends: readonly Backend[], draining: ReadonlySet<string> = new Set()): void {
    const same = backends.length === this.backends.length && backends.every((b, i) => b.address === this.backends[i]!.address && b.taskId === this.backends[i]!.taskId);
    if (same) return;
    const live = new Set(backends.map((b) => b.address));
    this.draining = this.backends.map((b) => b.address).filter((a) => !live.has(a) && draining.has(a));
    this.backends = [...backends];
    this.threadView = undefined;
    for (const a of this.failedAt.keys()) if (!live.has(a)) this.failedAt.delete(a);
    this.affinity?.keepOnly(live);
    for (const [a, gone] of this.unanswered) {
      if (live.has(a)) continue;
      this.unanswered.delete(a);
      // After the swap, not inside it: the callbacks pick another backend of this route.
      for (const g of gone) queueMicrotask(g);
    }
  }

  /**
   * Calls `gone` if `address` leaves the backends (its task drains or its host is down) while the
   * connection has exchanged nothing with it: nothing reached either side, so it can move to
   * another backend unnoticed instead of waiting on a host that may never answer. Returns the
   * call that stops watching (at the first byte, or when the connection ends).
   */
  whileUnanswered(address: string, gone: () => void): () => void {
    let set = this.unanswered.get(address);
    if (!set) this.unanswered.set(address, (set = new Set()));
    set.add(gone);
    return () => {
      const s = this.unanswered.get(address);
      if (s?.delete(gone) && s.size === 0) this.unanswered.delete(address);
    };
  }

  /**
   * The next backend to try that is not in `tried`: round robin, skipping backends in cooldown
   * unless nothing else is left. Undefined when every backend has been tried.
   */
  pick(tried: ReadonlySet<string> | undefined, now: number, client?: string): Backend | undefined {
    if (!this.affinity || !client) return this.balanced(tried, now);
    const usable = (a: string) => this.has(a) && !tried?.has(a) && !this.cooling(a, now);
    const address = stickyPick(this.affinity, ipv4Number(client), now, usable, () => this.balanced(tried, now)?.address);
    return this.backends.find((b) => b.address === address);
  }

  private balanced(tried: ReadonlySet<string> | undefined, now: number): Backend | undefined {
    const chosen = this.choose(tried, now);
    if (chosen?.next !== undefined) Atomics.store(this.turn, 0, chosen.next);
    return chosen?.backend;
  }

  /** What `pick` would give now, without moving on; `cooling` tells whether it is a fallback in cooldown. */
  peek(now: number): { backend: Backend; position: number; of: number; cooling: boolean } | undefined {
    const chosen = this.choose(undefined, now);
    if (!chosen) return undefined;
    return { backend: chosen.backend, position: this.backends.indexOf(chosen.backend), of: this.backends.length, cooling: chosen.next === undefined };
  }

  /** The task ID of a backend address, if it is one of this route's. */
  taskOf(address: string): string | undefined {
    return this.backends.find((b) => b.address === address)?.taskId;
  }

  private choose(tried: ReadonlySet<string> | undefined, now: number): { backend: Backend; next?: number } | undefined {
    const n = this.backends.length;
    const cursor = (Atomics.load(this.turn, 0) >>> 0) % n;
    let fallback: Backend | undefined;
    for (let i = 0; i < n; i++) {
      const b = this.backends[(cursor + i) % n]!;
      if (tried?.has(b.address)) continue;
      if (this.cooling(b.address, now)) {
        fallback ??= b;
        continue;
      }
      return { backend: b, next: (cursor + i + 1) % n };
    }
    return fallback && { backend: fallback };
  }

  private cooling(address: string, now: number): boolean {
    const failed = this.failedAt.get(address);
    return failed !== undefined && now - failed < FAILED_BACKEND_COOLDOWN_MS;
  }

  /** Records a failed connect; true when the backend was not already in cooldown (worth a log line). */
  markFailed(address: string, now: number): boolean {
    const before = this.failedAt.get(address);
    this.failedAt.set(address, now);
    return before === undefined || now - before >= FAILED_BACKEND_COOLDOWN_MS;
  }

  markHealthy(address: string): void {
    if (this.failedAt.size > 0) this.failedAt.delete(address);
  }
}
