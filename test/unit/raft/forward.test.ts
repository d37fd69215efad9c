import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RaftStore } from '../../../src/cluster/raft/raft-store.js';
import type { SecretObject } from '../../../src/cluster/types.js';
import { SimCluster, type Faults } from '../../sim/sim-cluster.js';

const calm: Faults = { drop: 0, duplicate: 0, maxDelayMs: 1, partition: 0, heal: 0, crash: 0, restart: 0, tornWrite: 0 };
const secret = (name: string): SecretObject => ({ ID: name, Version: { Index: 0 }, CreatedAt: '', UpdatedAt: '', Spec: { Name: name, Labels: {} } });

async function leaderOf(c: SimCluster): Promise<RaftStore> {
  for (let i = 0; i < 5000; i++) {
    const l = c.live().find((s) => s.isLeader());
    if (l) return l;
    await c.step(false);
  }
  throw new Error('no leader after 5 simulated s');
}

test('a write forwarded to a leader that is then cut off fails once the follower stops following it, not after the commit timeout, and the follower takes writes again', async () => {
  const c = new SimCluster(7, 3, calm, false, 10_000);
  await c.startAll();
  const old = await leaderOf(c);
  await c.run(100, false); // the followers hear from it
  const follower = c.live().find((s) => s !== old)!;
  assert.equal(follower.leader(), old.status().id);
  c.isolate(old.status().id);
  const t0 = c.clock.now();
  const outcome = await c.until(follower.update((tx) => tx.create('secrets', secret('s1'))).then(() => undefined, (err: Error) => err));
  const failedAfter = c.clock.now() - t0;
  assert.match(String(outcome?.message), /lost its leadership while this manager waited for it to take a write/);
  // An election takes 1–2 election timeouts (100–200 ms here); the commit timeout is 10 s.
  assert.ok(failedAfter < 1000, `the forwarded write failed after ${failedAfter} simulated ms`);
  // Its write queue is free: the next write goes to the new leader.
  await c.until(follower.update((tx) => tx.create('secrets', secret('s2'))));
  assert.ok(c.clock.now() - t0 < 2000, `the next write was taken ${c.clock.now() - t0} simulated ms after the cut`);
  assert.equal(follower.view((tx) => tx.get('secrets', 's2'))?.Spec.Name, 's2');
});
