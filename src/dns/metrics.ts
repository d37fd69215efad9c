import { NAME_CLASSES, type NameClass } from './names/entry.js';

/** Upper bounds (ms) of the latency buckets; the last bucket counts everything slower. */
export const LATENCY_BOUNDS_MS: readonly number[] = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000];

export interface LatencyHistogram {
  /** counts[i] = answers that took at most LATENCY_BOUNDS_MS[i] (and more than the bound before); one more bucket for the rest. */
  counts: number[];
  count: number;
  sumMs: number;
}

export interface ClassCounters {
  queries: number;
  nxdomain: number;
  /** Answered NOERROR without records (AAAA of a service, tasks.<svc> with no task serving). */
  nodata: number;
  /** From a query's arrival to its answer being handed to the socket. */
  latency: LatencyHistogram;
}

/** The DNS server's counters: a plain object, read as is by whoever exports metrics. */
export interface DnsMetrics {
  /** Version of the endpoint table the answers come from (-1 before the first). */
  tableVersion: number;
  byClass: Record<NameClass, ClassCounters>;
  /** Forwarded queries that no upstream answered: the asker got SERVFAIL. */
  upstreamFailures: number;
  /** Single upstream attempts with no usable answer in time (timeout or socket error; the next upstream was tried). */
  upstreamTimeouts: number;
  /** Queries answered SERVFAIL at once because too many were being forwarded. */
  overloaded: number;
  /** Internal names asked from an address on none of the table's networks. */
  refused: number;
  formerr: number;
  notimp: number;
  /** Packets not answered at all: too short for a header, responses, oversized. */
  dropped: number;
  /** UDP answers cut to fit (TC set). */
  truncated: number;
}

const histogram = (): LatencyHistogram => ({ counts: new Array<number>(LATENCY_BOUNDS_MS.length + 1).fill(0), count: 0, sumMs: 0 });

export function newMetrics(): DnsMetrics {
  const byClass = Object.fromEntries(NAME_CLASSES.map((c) => [c, { queries: 0, nxdomain: 0, nodata: 0, latency: histogram() }])) as Record<NameClass, ClassCounters>;
  return { tableVersion: -1, byClass, upstreamFailures: 0, upstreamTimeouts: 0, overloaded: 0, refused: 0, formerr: 0, notimp: 0, dropped: 0, truncated: 0 };
}

/** Counts `n` answers (default one) that each took `ms`. */
export function observeLatency(h: LatencyHistogram, ms: number, n = 1): void {
  let i = 0;
  while (i < LATENCY_BOUNDS_MS.length && ms > LATENCY_BOUNDS_MS[i]!) i++;
  h.counts[i]! += n;
  h.count += n;
  h.sumMs += ms * n;
}
