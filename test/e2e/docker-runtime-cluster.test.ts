import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createLab, startDocker, waitUntil, type DockerEngine, type Lab } from '../lab/index.js';
import { ShoaldInHost } from './shoald-harness.js';

// Issue 10's "Done when" on three hosts: h1 (manager) and h2 run tasks as containers on their own
// Docker engine (--runtime docker), h3 runs them as processes (--runtime process); one swarm, one
// overlay, one routing mesh for both runtimes.
let lab: Lab;
const hosts: Record<string, ShoaldInHost> = {};
const engines: Record<string, DockerEngine> = {};
const DOCKER_HOSTS = ['h1', 'h2'];
let failed = true;

before(async () => {
  lab = await createLab({ hosts: 3 });
  try {
    for (const h of DOCKER_HOSTS) engines[h] = await startDocker(lab, h, { importBusybox: true });
    for (const h of ['h1', 'h2', 'h3']) {
      const runtime = engines[h] ? ['--runtime', 'docker', '--docker-host', engines[h]!.dockerHost] : ['--runtime', 'process'];
      hosts[h] = new ShoaldInHost(lab, h, ['--advertise-addr', lab.host(h).address, ...runtime]);
      await hosts[h]!.start();
    }
    await hosts.h3!.importBusybox();
    await run('h1', 'swarm', 'init', '--advertise-addr', lab.host('h1').address);
    const token = (await run('h1', 'swarm', 'join-token', '-q', 'worker')).trim();
    for (const h of ['h2', 'h3']) await run(h, 'swarm', 'join', '--token', token, `${lab.host('h1').address}:2377`);
    await waitUntil('three nodes ready', async () => (await run('h1', 'node', 'ls', '--format', '{{.Status}}')).trim().split('\n').filter((s) => s === 'Ready').length === 3, {
      timeoutMs: 20_000,
    });
  } catch (err) {
    lab.dumpLogs();
    await stopAll();
    throw err;
  }
});

/** Engines first (their containers' shims outlive dockerd and are found by the engine's folder), then the lab. */
async function stopAll(): Promise<void> {
  for (const e of Object.values(engines)) await e.stop().catch((err) => lab.log.warn({ err }, 'stopping a Docker engine failed'));
  await lab.destroy();
}

after(async () => {
  if (failed) lab.dumpLogs();
  await stopAll();
});

const run = async (h: string, ...args: string[]) => (await hosts[h]!.docker(args)).stdout;

interface TaskView {
  ID: string;
  NodeID: string;
  Status: { State: string; Err?: string; ContainerStatus?: { ContainerID?: string; PID: number } };
  NetworksAttachments?: { Network: { Spec: { Name: string } }; Addresses: string[] }[];
}

async function tasksOf(service: string, desired = 'running'): Promise<TaskView[]> {
  const ids = (await run('h1', 'service', 'ps', '-q', '--filter', `desired-state=${desired}`, service)).trim().split('\n').filter(Boolean);
  return ids.length ? (JSON.parse(await run('h1', 'inspect', '--type', 'task', ...ids)) as TaskView[]) : [];
}

async function nodeIds(): Promise<Record<string, string>> {
  const out = await run('h1', 'node', 'ls', '--format', '{{.ID}} {{.Hostname}}');
  return Object.fromEntries(out.trim().split('\n').map((l) => l.split(' ').reverse() as [string, string]));
}

/** Running tasks of a service per host name. */
async function runningPerHost(service: string): Promise<Record<string, number>> {
  const out = await run('h1', 'service', 'ps', '--filter', 'desired-state=running', '--format', '{{.Node}} {{.CurrentState}}', service);
  const counts: Record<string, number> = {};
  for (const line of out.trim().split('\n').filter(Boolean)) if (line.includes('Running')) counts[line.split(' ')[0]!] = (counts[line.split(' ')[0]!] ?? 0) + 1;
  return counts;
}

/** IDs of an engine's running containers of a service (by the swarm label, so sandboxes are not counted). */
async function serviceContainers(h: string, service: string): Promise<string[]> {
  const ps = await engines[h]!.cli(['ps', '-q', '--no-trunc', '--filter', `label=com.docker.swarm.service.name=${service}`]);
  return ps.stdout.trim().split('\n').filter(Boolean);
}

/** One HTTP GET from the lab's outside namespace to host:port through busybox nc (busybox wget segfaults here); the body, or '' on failure. */
async function fetchFromOutside(host: string, port: number): Promise<string> {
  const res = await lab.exec(lab.labHost, 'busybox', ['nc', '-w', '2', host, String(port)], { allowFail: true, input: 'GET / HTTP/1.0\r\n\r\n', timeoutMs: 10_000 });
  const body = res.stdout.split('\r\n\r\n')[1] ?? '';
  return res.stdout.startsWith('HTTP/1.') ? body.trim() : '';
}

/** Waits until the published port of every host has answered with each of `names` (task hostnames). */
async function meshReaches(port: number, names: string[], timeoutMs = 30_000): Promise<void> {
  for (const h of ['h1', 'h2', 'h3']) {
    const seen = new Set<string>();
    await waitUntil(`port ${port} on ${h} reaches ${names.join(', ')}`, async () => {
      for (let i = 0; i < 2 * names.length; i++) {
        const body = await fetchFromOutside(lab.host(h).address, port);
        if (body) seen.add(body);
      }
      return names.every((n) => seen.has(n));
    }, { timeoutMs, intervalMs: 200 });
  }
}

const SERVE_HOSTNAME = 'mkdir -p /www && hostname > /www/index.html && exec httpd -f -p 8000 -h /www';

test('simple_server: 3 replicas answer through every host\'s published port; a `docker kill`ed container is replaced', { timeout: 240_000 }, async () => {
  await run('h1', 'service', 'create', '--detach', '--replicas', '3', '-p', '8000:8000', '--name', 'simple_server', '--stop-grace-period', '1s',
    'busybox', 'sh', '-c', SERVE_HOSTNAME);
  await waitUntil('simple_server on three hosts', async () => {
    const c = await runningPerHost('simple_server');
    return c.h1 === 1 && c.h2 === 1 && c.h3 === 1;
  }, { timeoutMs: 60_000, intervalMs: 300 });
  const tasks = await tasksOf('simple_server');
  const ids = await nodeIds();
  // On the Docker hosts the tasks are the engine's containers; h3's is a process.
  for (const h of DOCKER_HOSTS) {
    const mine = tasks.find((t) => t.NodeID === ids[h])!;
    assert.deepEqual(await serviceContainers(h, 'simple_server'), [mine.Status.ContainerStatus!.ContainerID], `${h}'s engine runs its task as a container`);
  }
  assert.equal(await serviceContainers('h1', 'simple_server').then((c) => c.length), 1);
  const names = tasks.map((t) => t.ID.slice(0, 12));
  await meshReaches(8000, names);

  // `docker kill` on h2's engine, behind Shoal's back: the task fails and a new one takes the slot.
  const killed = tasks.find((t) => t.NodeID === ids.h2)!;
  await engines.h2!.cli(['kill', killed.Status.ContainerStatus!.ContainerID!]);
  await waitUntil('a replacement for the killed container', async () => {
    const now = await tasksOf('simple_server');
    return now.length === 3 && !now.some((t) => t.ID === killed.ID) && now.every((t) => t.Status.State === 'running') && now;
  }, { timeoutMs: 60_000, intervalMs: 300 });
  const ps = await run('h1', 'service', 'ps', '--no-trunc', '--format', '{{.ID}} {{.DesiredState}} {{.CurrentState}} {{.Error}}', 'simple_server');
  assert.match(ps, new RegExp(`^${killed.ID} Shutdown Failed .*non-zero exit \\(137\\)`, 'm'), `service ps shows the killed task failed:\n${ps}`);
  assert.equal(ps.trim().split('\n').filter((l) => / Running Running /.test(l)).length, 3, `three running tasks:\n${ps}`);
  const replacement = (await tasksOf('simple_server')).find((t) => !tasks.some((o) => o.ID === t.ID))!;
  await meshReaches(8000, [replacement.ID.slice(0, 12)]);
  await run('h1', 'service', 'rm', 'simple_server');
});

test('containers and a process task of one service on one overlay reach each other by IP and by tasks.<svc>', { timeout: 240_000 }, async () => {
  await run('h1', 'network', 'create', '-d', 'overlay', 'appnet');
  await run('h1', 'service', 'create', '--detach', '--name', 'mixed', '--replicas', '3', '--network', 'appnet', '--stop-grace-period', '1s',
    'busybox', 'sh', '-c', SERVE_HOSTNAME);
  await waitUntil('mixed on three hosts', async () => {
    const c = await runningPerHost('mixed');
    return c.h1 === 1 && c.h2 === 1 && c.h3 === 1;
  }, { timeoutMs: 60_000, intervalMs: 300 });
  const ids = await nodeIds();
  const tasks = await tasksOf('mixed');
  const on = (h: string) => tasks.find((t) => t.NodeID === ids[h])!;
  const addr = (t: TaskView) => t.NetworksAttachments!.find((a) => a.Network.Spec.Name === 'appnet')!.Addresses[0]!.split('/')[0]!;
  const pid = (t: TaskView) => t.Status.ContainerStatus!.PID;
  assert.equal((await serviceContainers('h1', 'mixed')).length, 1, 'h1 runs its task as a container');
  assert.equal((await serviceContainers('h2', 'mixed')).length, 1, 'h2 runs its task as a container');

  // Every PID (containers' too: dockerd shares the machine's PID namespace) is visible from the lab.
  const inNet = (t: TaskView, cmd: string[], input?: string) =>
    lab.exec('h1', 'nsenter', [`--net=/proc/${pid(t)}/ns/net`, ...cmd], { allowFail: true, input, timeoutMs: 15_000 });
  const pairs: [string, string][] = [['h1', 'h3'], ['h3', 'h1'], ['h2', 'h3'], ['h3', 'h2'], ['h1', 'h2']];
  for (const [from, to] of pairs) {
    const ping = await inNet(on(from), ['busybox', 'ping', '-c', '1', '-W', '2', addr(on(to))]);
    assert.match(ping.stdout, /1 packets received/, `ping from ${from}'s task to ${to}'s (${addr(on(to))}): ${ping.stdout}${ping.stderr}`);
    const page = await inNet(on(from), ['busybox', 'nc', '-w', '3', addr(on(to)), '8000'], 'GET / HTTP/1.0\r\n\r\n');
    assert.equal(page.stdout.split('\r\n\r\n')[1]?.trim(), on(to).ID.slice(0, 12), `HTTP from ${from}'s task reaches ${to}'s: ${page.stdout}${page.stderr}`);
  }

  // Names, in each task's own view (its mounts: resolv.conf names the embedded DNS of its host).
  const lookup = (t: TaskView, name: string) =>
    lab.exec('h1', 'nsenter', ['-t', String(pid(t)), '--net', '--mount', 'busybox', 'nslookup', name], { allowFail: true, timeoutMs: 15_000 });
  for (const h of ['h1', 'h2', 'h3']) {
    await waitUntil(`tasks.mixed from ${h}'s task lists all three`, async () => {
      const out = (await lookup(on(h), 'tasks.mixed')).stdout;
      return tasks.every((t) => out.includes(addr(t))) && out;
    }, { timeoutMs: 15_000, intervalMs: 500 });
  }
  await run('h1', 'service', 'rm', 'mixed');
});

test('service logs --follow shows lines from containers on two hosts', { timeout: 120_000 }, async () => {
  await run('h1', 'service', 'create', '--detach', '--name', 'talker', '--replicas', '3', '--stop-grace-period', '1s',
    'busybox', 'sh', '-c', 'while true; do echo "hello from $(hostname)"; sleep 1; done');
  await waitUntil('talker on three hosts', async () => Object.keys(await runningPerHost('talker')).length === 3, { timeoutMs: 60_000, intervalMs: 300 });
  for (const h of DOCKER_HOSTS) assert.equal((await serviceContainers(h, 'talker')).length, 1, `${h} runs talker as a container`);
  const follow = await hosts.h1!.docker(['service', 'logs', '--follow', '--tail', '1', 'talker'], { allowFail: true, timeoutMs: 5000 });
  for (const h of DOCKER_HOSTS) assert.match(follow.stdout, new RegExp(`talker\\.\\d\\.[0-9a-z]+@${h}\\s+\\| hello from [0-9a-z]{12}`), `--follow streams ${h}'s container:\n${follow.stdout}${follow.stderr}`);
  // Lines written after the command started arrive too: more than the one --tail line per task.
  const fromH1 = follow.stdout.split('\n').filter((l) => l.includes('@h1 ')).length;
  assert.ok(fromH1 >= 2, `--follow keeps streaming h1's container (${fromH1} lines)`);
  await run('h1', 'service', 'rm', 'talker');
  failed = false;
});

test('health-checked containers join the mesh only once healthy; a failing check removes them', { timeout: 240_000 }, async () => {
  failed = true;
  // The check passes once /tmp/ok exists, 6 s after the container starts; httpd answers from the start. The start
  // period keeps the failures before that from counting (without it the tasks go unhealthy first, as in Docker).
  await run('h1', 'service', 'create', '--detach', '--name', 'checked', '--replicas', '2', '-p', '8001:8000', '--stop-grace-period', '1s',
    '--constraint', 'node.hostname!=h3', '--health-cmd', 'test -f /tmp/ok', '--health-interval', '1s', '--health-retries', '2', '--health-start-period', '30s',
    'busybox', 'sh', '-c', `(sleep 6; touch /tmp/ok) & ${SERVE_HOSTNAME}`);
  await waitUntil('both containers up', async () => (await serviceContainers('h1', 'checked')).length === 1 && (await serviceContainers('h2', 'checked')).length === 1, {
    timeoutMs: 60_000, intervalMs: 200,
  });
  // While no task is running (checked after each try), the published port reaches nothing.
  let triedBeforeHealthy = 0;
  for (const deadline = Date.now() + 40_000; Date.now() < deadline;) {
    const body = await fetchFromOutside(lab.host('h3').address, 8001);
    const states = (await tasksOf('checked')).map((t) => t.Status.State);
    if (states.includes('running')) break;
    assert.equal(body, '', `a task still ${states.join('/')} answered through the mesh`);
    triedBeforeHealthy++;
  }
  assert.ok(triedBeforeHealthy >= 2, `the mesh was tried while the tasks were starting (${triedBeforeHealthy} tries)`);
  await waitUntil('both healthy and running', async () => {
    const t = await tasksOf('checked');
    return t.length === 2 && t.every((x) => x.Status.State === 'running');
  }, { timeoutMs: 30_000, intervalMs: 200 });
  const tasks = await tasksOf('checked');
  await meshReaches(8001, tasks.map((t) => t.ID.slice(0, 12)));

  // The check starts failing in h1's container: it is stopped, failed, replaced, and gets no more connections.
  const ids = await nodeIds();
  const sick = tasks.find((t) => t.NodeID === ids.h1)!;
  await engines.h1!.cli(['exec', sick.Status.ContainerStatus!.ContainerID!, 'rm', '/tmp/ok']);
  await waitUntil('the unhealthy task failed', async () => {
    const [t] = JSON.parse(await run('h1', 'inspect', '--type', 'task', sick.ID)) as TaskView[];
    return t!.Status.State === 'failed' && t;
  }, { timeoutMs: 30_000, intervalMs: 200 });
  const ps = await run('h1', 'service', 'ps', '--no-trunc', '--format', '{{.ID}} {{.CurrentState}} {{.Error}}', 'checked');
  assert.match(ps, new RegExp(`^${sick.ID} Failed .*unhealthy`, 'm'), ps);
  for (let i = 0; i < 6; i++) assert.notEqual(await fetchFromOutside(lab.host('h2').address, 8001), sick.ID.slice(0, 12), 'the failed task gets no connections');
  await waitUntil('a healthy replacement', async () => {
    const t = await tasksOf('checked');
    return t.length === 2 && !t.some((x) => x.ID === sick.ID) && t.every((x) => x.Status.State === 'running');
  }, { timeoutMs: 60_000, intervalMs: 300 });
  await run('h1', 'service', 'rm', 'checked');
  failed = false;
});
