import type { Logger } from '../util/logger.js';
import type { Store, StoreEvent } from '../cluster/store/index.js';
import type { Clock, TimerHandle } from '../util/clock.js';

/**
 * Runs a component's reconciliation passes one at a time. A kick during a pass asks for one
 * more pass after it, so a burst of store events costs at most two passes, and a pass always
 * starts after the change that caused it.
 */
export class ReconcileLoop {
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;

  constructor(
    private readonly pass: () => Promise<void>,
    private readonly log: Logger,
  ) {}

  kick(): void {
    if (this.stopped) return;
    this.again = true;
    this.running ??= this.drain();
  }

  /** Stops kicking and waits for the pass in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
  }

  private async drain(): Promise<void> {
    while (this.again && !this.stopped) {
      this.again = false;
      try {
        await this.pass();
      } catch (err) {
        this.log.error({ err }, 'reconciliation pass failed; will retry on the next change');
      }
    }
    this.running = undefined;
  }
}

/** One timer per key on the injected clock, keeping the earliest deadline asked for. */
export class WakeTimers<K> {
  private readonly timers = new Map<K, { at: number; handle: TimerHandle }>();

  constructor(
    private readonly clock: Clock,
    private readonly onWake: (key: K) => void,
  ) {}

  wakeAt(key: K, at: number): void {
    const current = this.timers.get(key);
    if (current && current.at <= at) return;
    if (current) this.clock.clearTimeout(current.handle);
    const handle = this.clock.setTimeout(() => {
      this.timers.delete(key);
      this.onWake(key);
    }, at - this.clock.now());
    this.timers.set(key, { at, handle });
  }

  clear(): void {
    for (const t of this.timers.values()) this.clock.clearTimeout(t.handle);
    this.timers.clear();
  }
}

/** What every manager loop is built from. */
export interface LoopOptions {
  store: Store;
  clock: Clock;
  log: Logger;
}

/**
 * A manager component that watches the store and reconciles in passes: `start()` subscribes
 * and runs a first pass over everything already there (a daemon restart loses nothing),
 * `stop()` unsubscribes and waits for the pass in progress.
 */
export abstract class ManagerLoop {
  protected readonly loop: ReconcileLoop;
  private unwatch?: () => void;

  constructor(
    protected readonly opts: LoopOptions,
    protected readonly log: Logger,
  ) {
    this.loop = new ReconcileLoop(() => this.pass(), log);
  }

  start(): void {
    this.unwatch = this.opts.store.watch((events) => this.onEvents(events));
    this.reconcileEverything();
    this.loop.kick();
  }

  async stop(): Promise<void> {
    this.unwatch?.();
    await this.loop.stop();
  }

  /** Marks everything for the next pass. */
  protected abstract reconcileEverything(): void;
  /** Notes what the events touched, and kicks the loop if a pass is needed. */
  protected abstract onEvents(events: StoreEvent[]): void;
  protected abstract pass(): Promise<void>;
}
