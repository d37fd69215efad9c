import type { Backend } from '../plan.js';

/** How long a backend that refused or timed out is tried only after the others. */
export const FAILED_BACKEND_COOLDOWN_MS = 2000;

/**
 * Where new connections of one entry point and port go: round robin over the backends, with
 * backends that just failed moved to the back. Kept across table versions (backends are swapped
 * in place), so a connection retrying after a swap sees the current backends.
 */
export class Route {
  private backends: Backend[] = [];
  private cursor = 0;
  private readonly failedAt = new Map<string, number>();

  constructor(
    readonly service: string,
    /** `tcp/8080` or `vip/10.0.1.5`. */
    readonly entry: string,
    /** The port to connect to on a backend. */
    readonly port: number,
  ) {}

  get size(): number {
    return this.backends.length;
  }

  has(address: string): boolean {
    return this.backends.some((b) => b.address === address);
  }

  setBackends(backends: readonly Backend[]): void {
    this.backends = [...backends];
    const live = new Set(backends.map((b) => b.address));
    for (const a of this.failedAt.keys()) if (!live.has(a)) this.failedAt.delete(a);
  }

  /**
   * The next backend to try that is not in `tried`: round robin, skipping backends in cooldown
   * unless nothing else is left. Undefined when every backend has been tried.
   */
  pick(tried: ReadonlySet<string> | undefined, now: number): Backend | undefined {
    const n = this.backends.length;
    let fallback: Backend | undefined;
    for (let i = 0; i < n; i++) {
      const b = this.backends[(this.cursor + i) % n]!;
      if (tried?.has(b.address)) continue;
      const failed = this.failedAt.get(b.address);
      if (failed !== undefined && now - failed < FAILED_BACKEND_COOLDOWN_MS) {
        fallback ??= b;
        continue;
      }
      this.cursor = (this.cursor + i + 1) % n;
      return b;
    }
    return fallback;
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
