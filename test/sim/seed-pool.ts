import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

/** The seeds one worker runs. */
export interface SeedBatch {
  size: number;
  seeds: number[];
  chaosMs: number;
}

export type SeedReport = { seed: number; ops: number; acknowledgedWrites: number } | { seed: number; error: string };

export interface SeedTotals {
  ops: number;
  acknowledgedWrites: number;
  /** The lowest seed that failed, with its error; a worker stops at its first failure. */
  failure?: { seed: number; error: string };
}

/** Runs seeds first..first+count-1 on `workers` worker threads (one per core by default), each taking every workers-th seed. */
export async function runSeeds(size: number, first: number, count: number, chaosMs: number, workers = availableParallelism()): Promise<SeedTotals> {
  const totals: SeedTotals = { ops: 0, acknowledgedWrites: 0 };
  const n = Math.max(1, Math.min(workers, count));
  await Promise.all(
    Array.from({ length: n }, (_, w) => {
      const seeds = Array.from({ length: count }, (_, i) => first + i).filter((_, i) => i % n === w);
      const worker = new Worker(new URL('./seed-worker.js', import.meta.url), { workerData: { size, seeds, chaosMs } satisfies SeedBatch });
      worker.on('message', (r: SeedReport) => {
        if ('error' in r) {
          if (!totals.failure || r.seed < totals.failure.seed) totals.failure = { seed: r.seed, error: r.error };
        } else {
          totals.ops += r.ops;
          totals.acknowledgedWrites += r.acknowledgedWrites;
        }
      });
      return new Promise<void>((resolve, reject) => {
        worker.on('error', reject);
        worker.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`simulation worker exited with ${code}`))));
      });
    }),
  );
  return totals;
}
