import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { sleep } from '../../src/util/clock.js';
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
  // Docker's default heartbeat (5 s) first; shortened below once the hosts beat at 5 s.
  await run('h1', 'swarm', 'init', '--advertise-addr', lab.host('h1').address);
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

  // A shorter heartbeat marks no host down while the hosts still wait the old period for their next beat.
  await run('h1', 'swarm', 'update', '--dispatcher-heartbeat', '1s');
  for (const end = Date.now() + 7000; Date.now() < end; await sleep(250)) {
    const s = await nodeStates();
    assert.ok(['h1', 'h2', 'h3'].every((h) => s[h]?.startsWith('Ready')), `no host down after the heartbeat was shortened: ${JSON.stringify(s)}`);
  }
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

test('tasks on an overlay reach each other across hosts and resolve service names; other networks are cut off', async () => {
  await run('h1', 'network', 'create', '-d', 'overlay', 'appnet');
  await run('h1', 'network', 'create', '-d', 'overlay', 'othernet');
  await run('h1', 'service', 'create', '--detach', '--name', 'api', '--replicas', '3', '--network', 'appnet', '--stop-grace-period', '1s', 'busybox', 'httpd', '-f', '-p', '80');
  await run('h1', 'service', 'create', '--detach', '--name', 'outsider', '--network', 'othernet', '--stop-grace-period', '1s', 'busybox', 'sleep', '100000');
  await waitUntil('api on three hosts', async () => {
    const c = await runningPerHost('api');
    return c.h1 === 1 && c.h2 === 1 && c.h3 === 1;
  }, { timeoutMs: 30_000, intervalMs: 300 });
  await waitUntil('outsider running', async () => Object.keys(await runningPerHost('outsider')).length === 1, { timeoutMs: 30_000 });

  interface TaskView { NodeID: string; Status: { ContainerStatus: { PID: number } }; NetworksAttachments: { Network: { Spec: { Name: string } }; Addresses: string[] }[] }
  const tasksOf = async (service: string) => {
    const ids = (await run('h1', 'service', 'ps', '-q', '--filter', 'desired-state=running', service)).trim().split('\n');
    return JSON.parse(await run('h1', 'inspect', '--type', 'task', ...ids)) as TaskView[];
  };
  const addr = (t: TaskView, net: string) => t.NetworksAttachments.find((a) => a.Network.Spec.Name === net)!.Addresses[0]!.split('/')[0]!;
  const api = await tasksOf('api');
  const [outsider] = await tasksOf('outsider');
  const inTask = (t: TaskView, cmd: string[]) => lab.exec('h1', 'nsenter', [`--net=/proc/${t.Status.ContainerStatus.PID}/ns/net`, ...cmd], { allowFail: true, timeoutMs: 15_000 });
  // The task's host is where its process lives; every task's PID is visible from the lab's PID namespace.
  for (const other of api.slice(1)) {
    const ping = await inTask(api[0]!, ['busybox', 'ping', '-c', '1', '-W', '2', '-s', '1372', addr(other, 'appnet')]);
    assert.match(ping.stdout, /1 packets received/, `1400-byte ping from one host's task to another's (${addr(other, 'appnet')})`);
  }
  // The overlay MTU is 1450: a 1450-byte packet with DF set passes between hosts, 1451 does not (iputils ping sets DF).
  const df = async (size: number) => (await inTask(api[0]!, ['ping', '-M', 'do', '-c', '1', '-W', '2', '-s', String(size), addr(api[1]!, 'appnet')])).stdout;
  assert.match(await df(1422), /1 received/);
  assert.doesNotMatch(await df(1423), /1 received/);
  // (busybox-static's wget crashes here; nc speaks the HTTP just as well)
  const page = await lab.exec('h1', 'nsenter', [`--net=/proc/${api[0]!.Status.ContainerStatus.PID}/ns/net`, 'busybox', 'nc', '-w', '3', addr(api[2]!, 'appnet'), '80'], { allowFail: true, input: 'GET / HTTP/1.0\r\n\r\n', timeoutMs: 15_000 });
  assert.match(page.stdout, /^HTTP\/1\.[01] \d{3}/, `HTTP reaches the server of a task on another host: ${page.stdout}${page.stderr}`);

  const serviceInfo = JSON.parse(await run('h1', 'service', 'inspect', 'api')) as { Endpoint: { VirtualIPs: { NetworkID: string; Addr: string }[] } }[];
  const appnetId = (await run('h1', 'network', 'inspect', 'appnet', '--format', '{{.Id}}')).trim();
  const vip = serviceInfo[0]!.Endpoint.VirtualIPs.find((v) => v.NetworkID === appnetId)!.Addr.split('/')[0]!;
  // Inside the task's own view: its resolv.conf names the embedded DNS on its host.
  const resolve = (t: TaskView, name: string) =>
    lab.exec('h1', 'nsenter', ['-t', String(t.Status.ContainerStatus.PID), '--net', '--mount', 'busybox', 'nslookup', name], { allowFail: true, timeoutMs: 15_000 });
  await waitUntil('api resolves to its VIP', async () => (await resolve(api[0]!, 'api')).stdout.includes(vip), { timeoutMs: 10_000 });
  const tasks = (await resolve(api[0]!, 'tasks.api')).stdout;
  for (const t of api) assert.ok(tasks.includes(addr(t, 'appnet')), `tasks.api lists ${addr(t, 'appnet')}`);

  const cutOff = await inTask(outsider!, ['busybox', 'ping', '-c', '1', '-W', '2', addr(api[0]!, 'appnet')]);
  assert.doesNotMatch(cutOff.stdout, /1 packets received/, 'a task on othernet cannot reach appnet');
  const notVisible = await resolve(outsider!, 'api');
  assert.doesNotMatch(notVisible.stdout, new RegExp(vip.replace(/\./g, '\\.')), 'names of other networks are not answered');
  await run('h1', 'service', 'rm', 'api', 'outsider');
});

test('service logs gathers the lines of tasks on every host, also with --follow', async () => {
  await run('h1', 'service', 'create', '--detach', '--name', 'talker', '--replicas', '3', '--stop-grace-period', '1s', 'busybox', 'sh', '-c', 'while true; do echo "hello from $(hostname)"; sleep 1; done');
  await waitUntil('talker on three hosts', async () => Object.keys(await runningPerHost('talker')).length === 3, { timeoutMs: 30_000, intervalMs: 300 });
  await waitUntil('lines from all three hosts', async () => {
    const logs = await run('h1', 'service', 'logs', 'talker');
    return ['h1', 'h2', 'h3'].every((h) => new RegExp(`talker\\.\\d\\.[0-9a-z]+@${h}\\s+\\| hello from`).test(logs));
  }, { timeoutMs: 20_000, intervalMs: 500 });
  const follow = await hosts.h1!.docker(['service', 'logs', '--follow', '--tail', '1', 'talker'], { allowFail: true, timeoutMs: 4000 });
  for (const h of ['h1', 'h2', 'h3']) assert.match(follow.stdout, new RegExp(`@${h}\\s+\\| hello from`), `--follow streams lines from ${h}`);
  await run('h1', 'service', 'rm', 'talker');
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
