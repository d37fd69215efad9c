import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { RaftStore } from '../../../src/cluster/raft/raft-store.js';
import { SimCluster, type Faults } from '../../sim/sim-cluster.js';

const NO_FAULTS: Faults = { drop: 0, duplicate: 0, maxDelayMs: 2, partition: 0, heal: 0, crash: 0, restart: 0, tornWrite: 0 };
/** As in production: a write gives up on an unreachable quorum after 10 s. */
const COMMIT_TIMEOUT_MS = 10_000;

/** Creates a secret under a fresh ID each time it runs: a write applied twice would leave two. */
function createSecret(store: RaftStore): Promise<string> {
  return store.update((tx) => {
    const id = randomBytes(6).toString('hex');
    tx.create('secrets', { ID: id, Version: { Index: 0 }, CreatedAt: '', UpdatedAt: '', Spec: { Name: `s-${id}`, Labels: {} } });
    return id;
  });
}

async function threeManagers(seed: number): Promise<{ sim: SimCluster; leader: RaftStore; followers: RaftStore[] }> {
  const sim = new SimCluster(seed, 3, NO_FAULTS, false, COMMIT_TIMEOUT_MS);
  await sim.startAll();
  await sim.run(2000, false);
  const leader = sim.live().find((s) => s.isLeader());
  assert.ok(leader, 'a leader after 2 s');
  await sim.until(createSecret(leader)); // every member has applied an entry of this term
  await sim.run(100, false);
  return { sim, leader, followers: sim.live().filter((s) => s !== leader) };
}

const secretsOn = (s: RaftStore) => s.view((tx) => tx.list('secrets')).map((x) => x.ID);

test('a write forwarded to a leader that is then cut off completes with the next leader, not after the commit timeout, and once', { timeout: 60_000 }, async () => {
  const { sim, leader, followers } = await threeManagers(11);
  const [via] = followers;
  sim.isolate(leader.node.core.id);
  const t0 = sim.clock.now();
  const id = await sim.until(createSecret(via!), COMMIT_TIMEOUT_MS);
  const tookMs = sim.clock.now() - t0;
  assert.ok(tookMs < COMMIT_TIMEOUT_MS / 2, `the write took ${tookMs} simulated ms`);
  assert.ok(followers.some((f) => f.isLeader()), 'one of the others leads');
  await sim.run(200, false);
  for (const f of followers) assert.equal(secretsOn(f).filter((s) => s === id).length, 1);
  assert.equal(secretsOn(followers[0]!).length, 2, 'the first secret and this one, nothing twice');
});

test('a forwarded write the old leader committed but whose answer was lost counts once: it is not run again with the next leader', { timeout: 60_000 }, async () => {
  const { sim, leader, followers } = await threeManagers(12);
  const [via, other] = followers;
  // The leader hears `via` and replicates to `other`, but nothing it sends reaches `via`: not the answer either.
  sim.cutLink(leader.node.core.id, via!.node.core.id);
  const write = createSecret(via!);
  let id: string | undefined;
  write.then((v) => (id = v), () => undefined); // awaited below
  await sim.run(300, false);
  assert.equal(secretsOn(other!).length, 2, 'committed by the old leader and applied on the other follower');
  assert.equal(id, undefined, 'the member it went through has not heard back');
  sim.isolate(leader.node.core.id);
  await sim.until(write, COMMIT_TIMEOUT_MS / 2);
  await sim.run(200, false);
  assert.deepEqual(secretsOn(via!).sort(), secretsOn(other!).sort());
  assert.equal(secretsOn(via!).length, 2, 'applied once');
  assert.ok(secretsOn(via!).includes(id!), 'the ID the write returned is the one that landed');
});
