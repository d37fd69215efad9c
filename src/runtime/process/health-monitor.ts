import type { Clock, TimerHandle } from '../../util/clock.js';
import type { TaskHealth, TaskHealthCheck } from '../types.js';

/** Docker's defaults for a health check's settings (nanoseconds in the spec). */
const DEFAULT_INTERVAL_MS = 30_000;
const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_RETRIES = 3;

const ms = (ns: number | undefined, fallback: number): number => (ns && ns > 0 ? Math.round(ns / 1e6) : fallback);

/** The command a check runs: `["CMD", ...]` as given, `["CMD-SHELL", "..."]` through /bin/sh; none for `NONE` or no test. */
export function healthProbeArgv(test: readonly string[] | undefined): string[] | undefined {
  if (!test || test.length < 2) return undefined;
  if (test[0] === 'CMD') return test.slice(1);
  if (test[0] === 'CMD-SHELL') return ['/bin/sh', '-c', test.slice(1).join(' ')];
  return undefined;
}

export interface HealthMonitorOptions {
  check: TaskHealthCheck;
  /** Runs the check once; resolves true when it passed, false when it failed or ran past `timeoutMs`. */
  probe: (timeoutMs: number) => Promise<boolean>;
  /** When the task started (clock time): failures in the start period do not count while it is starting. */
  startedAt: number;
  clock: Clock;
  onChange: (health: TaskHealth) => void;
}

/**
 * A task's health on Docker's schedule: `starting` until a check passes (`healthy`), a check every
 * interval, `unhealthy` after `retries` failures in a row; during the start period failures do
 * not count until the first success.
 */
export class HealthMonitor {
  private current: TaskHealth = 'starting';
  private failures = 0;
  private timer?: TimerHandle;
  private stopped = false;
  private readonly intervalMs: number;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly startPeriodMs: number;

  constructor(private readonly o: HealthMonitorOptions) {
    this.intervalMs = ms(o.check.Interval, DEFAULT_INTERVAL_MS);
    this.timeoutMs = ms(o.check.Timeout, DEFAULT_TIMEOUT_MS);
    this.retries = o.check.Retries && o.check.Retries > 0 ? o.check.Retries : DEFAULT_RETRIES;
    this.startPeriodMs = ms(o.check.StartPeriod, 0);
    this.schedule();
  }

  get health(): TaskHealth {
    return this.current;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) this.o.clock.clearTimeout(this.timer);
  }

  private schedule(): void {
    if (!this.stopped) this.timer = this.o.clock.setTimeout(() => void this.runCheck(), this.intervalMs);
  }

  private async runCheck(): Promise<void> {
    const passed = await this.o.probe(this.timeoutMs).catch(() => false);
    if (this.stopped) return;
    if (passed) {
      this.failures = 0;
      this.set('healthy');
    } else if (!(this.current === 'starting' && this.o.clock.now() - this.o.startedAt < this.startPeriodMs)) {
      if (++this.failures >= this.retries) this.set('unhealthy');
    }
    this.schedule();
  }

  private set(health: TaskHealth): void {
    if (health === this.current) return;
    this.current = health;
    this.o.onChange(health);
  }
}
