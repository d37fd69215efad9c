import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runSeeds, type SeedTotals } from './seed-pool.js';
import { simulate } from './workload.js';

// CI runs SEEDS seeds per cluster size on one worker thread per core. A failing seed prints its
// number; SIM_SEED=n replays it alone, in this thread. SIM_SEEDS and SIM_FIRST choose another batch.
const SEEDS = 1000;
const first = Number(process.env.SIM_SEED ?? process.env.SIM_FIRST ?? 1);
const count = process.env.SIM_SEED ? 1 : Number(process.env.SIM_SEEDS ?? SEEDS);
const chaosMs = Number(process.env.SIM_CHAOS_MS ?? 3000);

async function replay(size: number): Promise<SeedTotals> {
  const r = await simulate({ seed: first, size, chaosMs });
  return { ops: r.ops, acknowledgedWrites: r.acknowledgedWrites };
}

for (const size of [3, 5]) {
  test(`simulation: ${size} managers, seeds ${first}..${first + count - 1}, faults for ${chaosMs} simulated ms`, async () => {
    const t0 = Date.now();
    const totals = process.env.SIM_SEED ? await replay(size) : await runSeeds(size, first, count, chaosMs);
    if (totals.failure) assert.fail(`${totals.failure.error}\nreplay it: SIM_SEED=${totals.failure.seed} node scripts/run-tests.mjs sim/`);
    assert.ok(totals.acknowledgedWrites > 0, 'some writes were acknowledged');
    const secs = (Date.now() - t0) / 1000;
    console.log(`  ${size} managers: ${count} seeds in ${secs.toFixed(1)} s, ${totals.ops} client operations, ${totals.acknowledgedWrites} acknowledged writes, all linearizable`);
  });
}
