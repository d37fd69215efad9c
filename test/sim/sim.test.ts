import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simulate } from './workload.js';

// SIM_SEEDS=2000 SIM_FIRST=1 for a long local run; SIM_SEED=n replays one seed.
const first = Number(process.env.SIM_SEED ?? process.env.SIM_FIRST ?? 1);
const count = process.env.SIM_SEED ? 1 : Number(process.env.SIM_SEEDS ?? 20);
const chaosMs = Number(process.env.SIM_CHAOS_MS ?? 3000);

for (const size of [3, 5]) {
  test(`simulation: ${size} managers, seeds ${first}..${first + count - 1}, faults for ${chaosMs} simulated ms`, async () => {
    let ops = 0;
    let writes = 0;
    for (let seed = first; seed < first + count; seed++) {
      const r = await simulate({ seed, size, chaosMs });
      ops += r.ops;
      writes += r.acknowledgedWrites;
    }
    assert.ok(writes > 0, 'some writes were acknowledged');
    console.log(`  ${size} managers: ${count} seeds, ${ops} client operations, ${writes} acknowledged writes, all linearizable`);
  });
}
