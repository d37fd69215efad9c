import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { withLab, waitUntil } from '../lab/index.js';
import { dockerOn, startShoalds } from './shoald-harness.js';

// Three managers in one Raft group: a leader lost, a new one elected, nothing acknowledged lost.
test('three managers survive the loss of the leader and a restart of all of them', async () => {
  await withLab({ hosts: 3 }, async (lab) => {
    const hosts = await startShoalds(lab, ['h1', 'h2', 'h3']);
    const run = dockerOn(hosts);
    const managerList = async (h: string) =>
      Object.fromEntries(
        (await run(h, 'node', 'ls', '--format', '{{.Hostname}} {{.Status}} {{.ManagerStatus}}'))
          .trim()
          .split('\n')
          .map((l) => [l.split(' ')[0], l.split(' ').slice(1).join(' ').trim()]),
      );

    await run('h1', 'swarm', 'init', '--advertise-addr', lab.host('h1').address, '--dispatcher-heartbeat', '1s');
    // One manager joins with the manager token, one is promoted from worker: both ways lead into Raft.
    const managerToken = (await run('h1', 'swarm', 'join-token', '-q', 'manager')).trim();
    const workerToken = (await run('h1', 'swarm', 'join-token', '-q', 'worker')).trim();
    assert.match(await run('h2', 'swarm', 'join', '--token', managerToken, `${lab.host('h1').address}:2377`), /This node joined a swarm as a manager\./);
    assert.match(await run('h3', 'swarm', 'join', '--token', workerToken, `${lab.host('h1').address}:2377`), /This node joined a swarm as a worker\./);
    await run('h1', 'node', 'promote', 'h3');
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

test('node promote and demote move hosts in and out of the managers; a worker certificate cannot speak Raft', async () => {
  await withLab({ hosts: 3 }, async (lab) => {
    const hosts = await startShoalds(lab, ['h1', 'h2', 'h3']);
    const run = dockerOn(hosts);
    const roles = async (h: string) => (await run(h, 'node', 'ls', '--format', '{{.Hostname}}={{.ManagerStatus}}')).trim().split('\n').sort().join(' ');
    await run('h1', 'swarm', 'init', '--advertise-addr', lab.host('h1').address, '--dispatcher-heartbeat', '1s');
    const token = (await run('h1', 'swarm', 'join-token', '-q', 'worker')).trim();
    for (const h of ['h2', 'h3']) await run(h, 'swarm', 'join', '--token', token, `${lab.host('h1').address}:2377`);

    // A worker's certificate is refused by the managers' Raft service.
    const certDir = join(lab.hostDir('h3'), 'shoal', 'swarm', 'certificates');
    const probe = join(lab.hostDir('h3'), 'raft-probe.mjs');
    writeFileSync(probe, raftProbe(resolve('node_modules/@grpc/grpc-js/build/src/index.js'), certDir, `${lab.host('h1').address}:2377`));
    const answer = await lab.exec('h3', process.execPath, [probe], { allowFail: true, timeoutMs: 15_000 });
    assert.match(answer.stdout, /code=7 .*this call needs a manager certificate/, `worker calling Raft: ${answer.stdout}${answer.stderr}`);

    assert.match(await run('h1', 'node', 'promote', 'h2', 'h3'), /Node h2 promoted to a manager in the swarm\./);
    await waitUntil('three managers', async () => (await roles('h1')) === 'h1=Leader h2=Reachable h3=Reachable', { timeoutMs: 30_000, intervalMs: 300 });
    await waitUntil('h3 serves the control API', async () => (await hosts.h3!.docker(['node', 'ls'], { allowFail: true })).code === 0, { timeoutMs: 20_000 });
    await run('h3', 'network', 'create', '-d', 'overlay', 'from-h3');

    assert.match(await run('h1', 'node', 'demote', 'h3'), /Manager h3 demoted in the swarm\./);
    await waitUntil('h3 a worker again', async () => (await roles('h1')) === 'h1=Leader h2=Reachable h3=', { timeoutMs: 30_000, intervalMs: 300 });
    await waitUntil('h3 refuses the control API', async () => (await hosts.h3!.docker(['node', 'ls'], { allowFail: true })).stderr.includes("Worker nodes can't be used"), { timeoutMs: 20_000 });
    assert.match(await run('h2', 'network', 'ls'), /from-h3/);
  });
});

/** A tiny client that calls the Raft service with a host's own certificate and prints the status it gets. */
function raftProbe(grpcPath: string, certDir: string, target: string): string {
  return `
import { readFileSync } from 'node:fs';
const grpc = await import(${JSON.stringify(grpcPath)});
const read = (f) => readFileSync(${JSON.stringify(certDir)} + '/' + f);
const creds = grpc.credentials.createSsl(read('swarm-root-ca.crt'), read('swarm-node.key'), read('swarm-node.crt'), { checkServerIdentity: () => undefined });
const client = new grpc.Client(${JSON.stringify(target)}, creds, { 'grpc.ssl_target_name_override': 'swarm-manager' });
client.makeUnaryRequest('/shoal.raft.Raft/Forward', (b) => b, (b) => b, Buffer.from('{}'), (err) => {
  console.log(err ? 'code=' + err.code + ' ' + err.details : 'accepted');
  process.exit(0);
});
`;
}

test('swarm init --force-new-cluster recovers the last manager standing, with its services', async () => {
  await withLab({ hosts: 3 }, async (lab) => {
    const hosts = await startShoalds(lab, ['h1', 'h2', 'h3']);
    const run = dockerOn(hosts);
    await run('h1', 'swarm', 'init', '--advertise-addr', lab.host('h1').address);
    const token = (await run('h1', 'swarm', 'join-token', '-q', 'manager')).trim();
    for (const h of ['h2', 'h3']) await run(h, 'swarm', 'join', '--token', token, `${lab.host('h1').address}:2377`);
    await run('h1', 'service', 'create', '--detach', '--name', 'keeper', '--replicas', '2', 'busybox', 'sleep', '100000');
    await waitUntil('keeper known on h1', async () => (await run('h1', 'service', 'ls')).includes('keeper'));

    await hosts.h2!.crash();
    await hosts.h3!.crash();
    await waitUntil('no quorum left', async () => (await hosts.h1!.docker(['network', 'create', '-d', 'overlay', 'x'], { allowFail: true })).code !== 0, { timeoutMs: 30_000 });

    assert.match(await run('h1', 'swarm', 'init', '--force-new-cluster'), /Swarm initialized/);
    await waitUntil('writes accepted again', async () => (await hosts.h1!.docker(['network', 'create', '-d', 'overlay', 'recovered'], { allowFail: true })).code === 0, { timeoutMs: 20_000 });
    assert.match(await run('h1', 'service', 'ls'), /keeper/);
    assert.match(await run('h1', 'info'), /Managers: 1|Is Manager: true/);
  });
});
