import type { MetricLabels, Sample } from './exposition.js';

/** Bucket bounds in seconds for latencies from 100 µs to 10 s. */
export const SECONDS_BUCKETS: readonly number[] = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** A Prometheus histogram kept in memory: counts per bucket (not cumulative), sum and count. */
export class Histogram {
  private readonly counts: number[];
  private sum = 0;
  private count = 0;

  constructor(readonly bounds: readonly number[] = SECONDS_BUCKETS) {
    this.counts = new Array<number>(bounds.length + 1).fill(0);
  }

  observe(value: number): void {
    let i = 0;
    while (i < this.bounds.length && value > this.bounds[i]!) i++;
    this.counts[i]!++;
    this.sum += value;
    this.count++;
  }

  samples(labels: MetricLabels = {}): Sample[] {
    return histogramSamples(this.bounds, this.counts, this.sum, this.count, labels);
  }
}

/** `_bucket` (cumulative, with `le`), `_sum` and `_count` samples from per-bucket counts (one more count than bounds: the rest). */
export function histogramSamples(bounds: readonly number[], counts: readonly number[], sum: number, count: number, labels: MetricLabels = {}): Sample[] {
  const out: Sample[] = [];
  let cumulative = 0;
  bounds.forEach((le, i) => {
    cumulative += counts[i]!;
    out.push({ suffix: '_bucket', labels: { ...labels, le: String(le) }, value: cumulative });
  });
  out.push({ suffix: '_bucket', labels: { ...labels, le: '+Inf' }, value: count });
  out.push({ suffix: '_sum', labels, value: sum }, { suffix: '_count', labels, value: count });
  return out;
}
