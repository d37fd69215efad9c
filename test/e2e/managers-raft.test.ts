import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withLab, waitUntil } from '../lab/index.js';
import { ShoaldInHost } from './shoald-harness.js';

// Three managers in one Raft group: a leader lost, a new one elected, nothing acknowledged lost.
test('three managers survive the loss of the leader and a restart of all of them', async () => {
  await withLab({ hosts: 3 }, async (lab) => {
    const hosts: Record<string, ShoaldInHost> = {};
    for (const h of ['h1', 'h2', 'h3']) {
      hosts[h] = new ShoaldInHost(lab, h, ['--advertise-addr', lab.host(h).address]);
      await hosts[h]!.start();
    }
    const run = async (h: string, ...args: string[]) => (await hosts[h]!.docker(args)).stdout;
    const managerList = async (h: string) =>
      Object.fromEntries(
        (await run(h, 'node', 'ls', '--format', '{{.Hostname}} {{.Status}} {{.ManagerStatus}}'))
          .trim()
          .split('\n')
          .map((l) => [l.split(' ')[0], l.split(' ').slice(1).join(' ').trim()]),
      );

    await run('h1', 'swarm', 'init', '--advertise-addr', lab.host('h1').address, '--dispatcher-heartbeat', '1s');
    const token = (await run('h1', 'swarm', 'join-token', '-q', 'manager')).trim();
    for (const h of ['h2', 'h3']) assert.match(await run(h, 'swarm', 'join', '--token', token, `${lab.host('h1').address}:2377`), /This node joined a swarm as a manager\./);
    await waitUntil('three managers, one leader', async () => {
      const m = await managerList('h1');
      return m.h1 === 'Ready Leader' && m.h2 === 'Ready Reachable' && m.h3 === 'Ready Reachable' && m;
    }, { timeoutMs: 20_000, intervalMs: 300 });
    assert.match(await run('h2', 'info'), /Managers: 3/);

    // Writes on a follower are forwarded to the leader.
    await run('h2', 'network', 'create', '-d', 'overlay', 'before');
    await waitUntil('h3 sees it', async () => (await run('h3', 'network', 'ls')).includes('before'), { timeoutMs: 5_000 });

    await hosts.h1!.crash();
    const lostAt = Date.now();
    await waitUntil('a new leader takes writes', async () => {
      const res = await hosts.h2!.docker(['network', 'create', '-d', 'overlay', 'after'], { allowFail: true });
      return res.code === 0;
    }, { timeoutMs: 20_000, intervalMs: 200 });
    const failoverMs = Date.now() - lostAt;
    assert.ok(failoverMs < 15_000, `failover took ${failoverMs} ms`);
    await waitUntil('the old leader shown lost', async () => {
      const m = await managerList('h3');
      return /^(Down|Unknown|Ready) Unreachable$/.test(m.h1 ?? '') && /Leader/.test((m.h2 ?? '') + (m.h3 ?? '')) && m;
    }, { timeoutMs: 20_000, intervalMs: 300 });

    // Restart everything: all that was acknowledged is still there, everywhere.
    await hosts.h1!.start();
    for (const h of ['h2', 'h3']) {
      await hosts[h]!.stop();
      await hosts[h]!.start();
    }
    for (const h of ['h1', 'h2', 'h3']) {
      await waitUntil(`${h} has both networks`, async () => {
        const res = await hosts[h]!.docker(['network', 'ls'], { allowFail: true });
        return res.stdout.includes('before') && res.stdout.includes('after');
      }, { timeoutMs: 30_000, intervalMs: 300 });
    }
    await waitUntil('three managers again', async () => {
      const m = await managerList('h2');
      return Object.values(m).filter((v) => /^Ready (Leader|Reachable)$/.test(v)).length === 3 && m;
    }, { timeoutMs: 30_000, intervalMs: 300 });
    process.stdout.write(`# leader failover: ${failoverMs} ms from SIGKILL to the next accepted write\n`);
  });
});
