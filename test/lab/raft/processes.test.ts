import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sleep } from '../../../src/util/clock.js';
import { MemberCluster } from './member-cluster.js';

/** Writes `key=value` through `via`; true if acknowledged. */
async function write(c: MemberCluster, via: string, key: string, value: string): Promise<boolean> {
  try {
    return (await c.call(via, `/write?key=${key}&value=${value}`)).status === 200;
  } catch {
    return false;
  }
}

test('three members as processes on loopback: leader killed, leader cut off, all restarted; no acknowledged write lost', { timeout: 120_000 }, async () => {
  const c = await MemberCluster.create(3);
  const acked = new Map<string, string>();
  const writeAll = async (via: string[], prefix: string, n: number): Promise<void> => {
    for (let i = 0; i < n; i++) {
      const key = `${prefix}${i % 4}`;
      const value = `${prefix}-${i}`;
      assert.ok(await write(c, via[i % via.length]!, key, value), `write ${key}=${value} via ${via[i % via.length]} refused\n${c.logs()}`);
      acked.set(key, value);
    }
  };
  try {
    const all = ['m1', 'm2', 'm3'];
    const first = await c.waitLeader(all);
    await writeAll(all, 'a', 12); // through the leader and through followers (forwarded)

    // The leader is killed: the other two elect a leader and keep taking writes.
    const t0 = Date.now();
    await c.kill(first);
    const rest = all.filter((id) => id !== first);
    const second = await c.waitLeader(rest);
    await writeAll(rest, 'b', 8);
    const failoverMs = Date.now() - t0;
    console.log(`  failover after SIGKILL of ${first}: ${second} leads, next write committed after ${failoverMs} ms`);
    assert.ok(failoverMs < 5000, `failover took ${failoverMs} ms`);

    // The killed member comes back from its disk and catches up.
    c.start(first);
    await sleep(1500);

    // The leader is cut off (frozen): the others elect another leader; thawed, it steps down.
    c.signal(second, 'SIGSTOP');
    const others = all.filter((id) => id !== second);
    const third = await c.waitLeader(others);
    await writeAll(others, 'c', 8);
    c.signal(second, 'SIGCONT');
    await sleep(1500);
    const s2 = await c.status(second);
    assert.equal(s2?.isLeader, false, 'the leader that was cut off stepped down');
    assert.equal(s2?.leader, third);

    // All three restarted: everything acknowledged is still there, read linearizably from each.
    for (const id of all) await c.kill(id);
    for (const id of all) c.start(id);
    await c.waitLeader(all);
    for (const id of all) {
      for (const [key, value] of acked) {
        const r = await c.call(id, `/read?key=${key}`);
        assert.equal(r.body['value'], value, `${key} on ${id}`);
      }
    }
  } finally {
    await c.destroy();
  }
});
