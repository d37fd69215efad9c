// Runs a share of the simulation's seeds in a worker thread (see seed-pool.ts).
import { parentPort, workerData } from 'node:worker_threads';
import { errorMessage } from '../../src/util/errors.js';
import type { SeedBatch, SeedReport } from './seed-pool.js';
import { simulate } from './workload.js';

const { size, seeds, chaosMs } = workerData as SeedBatch;
for (const seed of seeds) {
  let report: SeedReport;
  try {
    const r = await simulate({ seed, size, chaosMs });
    report = { seed, ops: r.ops, acknowledgedWrites: r.acknowledgedWrites };
  } catch (err) {
    report = { seed, error: errorMessage(err) };
  }
  parentPort!.postMessage(report);
  if ('error' in report) break;
}
