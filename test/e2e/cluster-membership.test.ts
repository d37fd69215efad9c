import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createLab, waitUntil, type Lab } from '../lab/index.js';
import { ShoaldInHost } from './shoald-harness.js';

// Hosts joining one swarm, as in the seed walkthroughs, each driven by the docker CLI on its own socket.
let lab: Lab;
const hosts: Record<string, ShoaldInHost> = {};
let failed = true;

before(async () => {
  lab = await createLab({ hosts: 4 });
  for (const h of ['h1', 'h2', 'h3', 'h4']) {
    hosts[h] = new ShoaldInHost(lab, h, ['--advertise-addr', lab.host(h).address]);
    await hosts[h]!.start();
    await hosts[h]!.importBusybox();
  }
});

after(async () => {
  if (failed) lab.dumpLogs();
  await lab.destroy();
});

const run = async (h: string, ...args: string[]) => (await hosts[h]!.docker(args)).stdout;
const fails = async (h: string, ...args: string[]) => {
  const res = await hosts[h]!.docker(args, { allowFail: true });
  assert.notEqual(res.code, 0, `docker ${args.join(' ')} on ${h} should fail`);
  return res.stderr;
};
const manager = () => `${lab.host('h1').address}:2377`;

async function nodeStates(): Promise<Record<string, string>> {
  const out = await run('h1', 'node', 'ls', '--format', '{{.Hostname}} {{.Status}} {{.Availability}} {{.ManagerStatus}}');
  return Object.fromEntries(out.trim().split('\n').map((l) => [l.split(' ')[0], l.split(' ').slice(1).join(' ').trim()]));
}

async function runningPerHost(service: string): Promise<Record<string, number>> {
  const out = await run('h1', 'service', 'ps', '--filter', 'desired-state=running', '--format', '{{.Node}} {{.CurrentState}}', service);
  const counts: Record<string, number> = {};
  for (const line of out.trim().split('\n').filter(Boolean)) if (line.includes('Running')) counts[line.split(' ')[0]!] = (counts[line.split(' ')[0]!] ?? 0) + 1;
  return counts;
}

test('hosts join with the worker token; bad tokens are refused with a clear message', async () => {
  await run('h1', 'swarm', 'init', '--advertise-addr', lab.host('h1').address, '--dispatcher-heartbeat', '1s');
  const token = (await run('h1', 'swarm', 'join-token', '-q', 'worker')).trim();
  const [prefix, version, digest, secret] = token.split('-').slice(0, 1).concat(token.split('-').slice(1));
  const wrongSecret = `${prefix}-${version}-${digest}-${'0'.repeat(25)}`;
  assert.match(await fails('h2', 'swarm', 'join', '--token', wrongSecret, manager()), /A valid join token is necessary to join this cluster/);
  const otherDigest = `${prefix}-${version}-${'1'.repeat(50)}-${secret}`;
  assert.match(await fails('h2', 'swarm', 'join', '--token', otherDigest, manager()), /does not match the join token/);
  assert.match(await fails('h2', 'swarm', 'join', '--token', 'SWMTKN-1-short', manager()), /invalid join token/);

  for (const h of ['h2', 'h3']) assert.match(await run(h, 'swarm', 'join', '--token', token, manager()), /This node joined a swarm as a worker\./);
  await waitUntil('three ready nodes', async () => {
    const s = await nodeStates();
    return s.h1?.startsWith('Ready Active Leader') && s.h2 === 'Ready Active' && s.h3 === 'Ready Active' && s;
  }, { timeoutMs: 15_000, intervalMs: 200 });
  assert.match(await fails('h2', 'node', 'ls'), /Worker nodes can't be used to view or modify cluster state/);
  assert.match(await run('h2', 'info'), /Is Manager: false/);
});

test('a rotated worker token stops new joins with the old one', async () => {
  const old = (await run('h1', 'swarm', 'join-token', '-q', 'worker')).trim();
  await run('h1', 'swarm', 'join-token', '--rotate', 'worker');
  assert.match(await fails('h4', 'swarm', 'join', '--token', old, manager()), /A valid join token is necessary/);
  const fresh = (await run('h1', 'swarm', 'join-token', '-q', 'worker')).trim();
  assert.match(await run('h4', 'swarm', 'join', '--token', fresh, manager()), /joined a swarm as a worker/);
  await waitUntil('h4 ready', async () => (await nodeStates()).h4 === 'Ready Active', { timeoutMs: 15_000 });
  assert.match(await run('h4', 'swarm', 'leave'), /Node left the swarm\./);
  await waitUntil('h4 down after leaving', async () => (await nodeStates()).h4?.startsWith('Down'), { timeoutMs: 15_000 });
  await run('h1', 'node', 'rm', 'h4');
});

test('a service of 6 replicas spreads 2/2/2; a drained host loses its tasks and gets no new ones', async () => {
  await run('h1', 'service', 'create', '--detach', '--name', 'web', '--replicas', '6', '--stop-grace-period', '1s', 'busybox', 'httpd', '-f', '-p', '80');
  await waitUntil('2/2/2', async () => {
    const c = await runningPerHost('web');
    return c.h1 === 2 && c.h2 === 2 && c.h3 === 2;
  }, { timeoutMs: 30_000, intervalMs: 300 });

  await run('h1', 'node', 'update', '--availability', 'drain', 'h3');
  await waitUntil('h3 drained', async () => {
    const c = await runningPerHost('web');
    return !c.h3 && (c.h1 ?? 0) + (c.h2 ?? 0) === 6;
  }, { timeoutMs: 30_000, intervalMs: 300 });
  await run('h1', 'service', 'scale', '--detach', 'web=8');
  await waitUntil('8 running, none on h3', async () => {
    const c = await runningPerHost('web');
    return !c.h3 && (c.h1 ?? 0) + (c.h2 ?? 0) === 8;
  }, { timeoutMs: 30_000, intervalMs: 300 });
  await run('h1', 'node', 'update', '--availability', 'active', 'h3');
  await run('h1', 'service', 'scale', '--detach', 'web=10');
  await waitUntil('h3 takes new tasks', async () => ((await runningPerHost('web')).h3 ?? 0) >= 2, { timeoutMs: 30_000, intervalMs: 300 });
});

test('a worker whose shoald dies is marked Down and its tasks are replaced on the other hosts', async () => {
  await run('h1', 'service', 'scale', '--detach', 'web=6');
  await waitUntil('6 running', async () => Object.values(await runningPerHost('web')).reduce((a, b) => a + b, 0) === 6, { timeoutMs: 30_000 });
  const onH2 = (await runningPerHost('web')).h2 ?? 0;
  assert.ok(onH2 > 0, 'h2 runs some of the tasks');
  await hosts.h2!.crash();
  await waitUntil('h2 down', async () => (await nodeStates()).h2?.startsWith('Down'), { timeoutMs: 15_000, intervalMs: 200 });
  await waitUntil('replaced elsewhere', async () => {
    const c = await runningPerHost('web');
    return !c.h2 && (c.h1 ?? 0) + (c.h3 ?? 0) === 6;
  }, { timeoutMs: 30_000, intervalMs: 300 });
  const ps = await run('h1', 'service', 'ps', '--format', '{{.Node}} {{.DesiredState}} {{.CurrentState}}', 'web');
  assert.match(ps, /h2 Shutdown Running/, 'the old task is shown wanted Shutdown on the lost host, as in the seed walkthrough');

  // Back again: Ready, and what it ran before is not run twice.
  await hosts.h2!.start();
  await waitUntil('h2 ready again', async () => (await nodeStates()).h2 === 'Ready Active', { timeoutMs: 20_000 });
  await waitUntil('the lost tasks are shut down', async () =>
    !(await run('h1', 'service', 'ps', '--format', '{{.Node}} {{.DesiredState}} {{.CurrentState}}', 'web')).includes('h2 Shutdown Running'), { timeoutMs: 20_000 });
  assert.equal(Object.values(await runningPerHost('web')).reduce((a, b) => a + b, 0), 6);
  failed = false;
});
