import { fileURLToPath } from 'node:url';
import type { Lab } from '../../lab/index.js';
import type { LoadConfig, LoadResult } from './http-load.js';

const CLIENT = fileURLToPath(new URL('./http-load.js', import.meta.url));

export type LoadResultRequests = LoadResult['requests'];

export interface LoadSummary {
  sent: number;
  failed: number;
  /** Failed requests by error, e.g. { ECONNREFUSED: 2 }. */
  errors: Record<string, number>;
  /** Failures of requests sent to each target. */
  failedByTarget: Record<string, number>;
}

/** A running bounded load from the lab's outside namespace; `finish` stops it (or, `untilDone`, waits for its bound) and counts. */
export interface Load {
  finish(untilDone?: boolean): Promise<LoadSummary & { requests: LoadResult['requests'] }>;
}

export async function startLoad(lab: Lab, targets: string[], opts: Partial<Omit<LoadConfig, 'targets'>> = {}): Promise<Load> {
  const config: LoadConfig = { targets, ratePerSec: 20, maxRequests: 3000, maxMs: 120_000, timeoutMs: 3000, ...opts };
  const proc = await lab.start(lab.labHost, process.execPath, [CLIENT, JSON.stringify(config)], { name: 'http-load' });
  return {
    async finish(untilDone = false) {
      if (untilDone) await Promise.race([proc.exited, new Promise((r) => setTimeout(r, config.maxMs + config.timeoutMs + 2000))]);
      await proc.stop(config.timeoutMs + 2000);
      const line = proc.output().trim().split('\n').pop() ?? '';
      const { requests } = JSON.parse(line) as LoadResult;
      return { ...summarize(requests), requests };
    },
  };
}

export function summarize(requests: LoadResult['requests']): LoadSummary {
  const errors: Record<string, number> = {};
  const failedByTarget: Record<string, number> = {};
  for (const r of requests.filter((x) => x.error)) {
    errors[r.error!] = (errors[r.error!] ?? 0) + 1;
    failedByTarget[r.target] = (failedByTarget[r.target] ?? 0) + 1;
  }
  return { sent: requests.length, failed: Object.values(errors).reduce((a, b) => a + b, 0), errors, failedByTarget };
}

/** How long after the latest fault start before it the last failed request was sent, in ms (0 when none failed). */
export function lastFailureAfter(requests: LoadResult['requests'], faultsAt: number[]): number {
  let latest = 0;
  for (const r of requests.filter((x) => x.error)) {
    const since = faultsAt.filter((t) => t <= r.at).map((t) => r.at - t);
    if (since.length) latest = Math.max(latest, Math.min(...since));
  }
  return latest;
}

/** When a fault struck and, if it lost a host, until when the mesh could still send that host's tasks new connections. */
export interface FaultWindow {
  at: number;
  /** When every other host's mesh had dropped the lost host's tasks. */
  lostUntil?: number;
}

/**
 * The failed requests the mesh's promise does not allow (nftables: none but those in flight on a
 * lost host): a request may fail only if it was in flight when a fault struck or, for a fault that
 * lost a host, was sent before every other host's mesh dropped that host's tasks.
 */
export function unexplainedFailures(requests: LoadResult['requests'], faults: FaultWindow[]): LoadResult['requests'] {
  const inFlight = (r: LoadResult['requests'][number], t: number) => r.at <= t && t <= r.at + (r.ms ?? Infinity);
  return requests.filter((r) => r.error && !faults.some((f) => inFlight(r, f.at) || (f.lostUntil !== undefined && r.at >= f.at && r.at <= f.lostUntil)));
}
