import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join as pathJoin } from 'node:path';
import { createLab, waitUntil, type Lab } from '../lab/index.js';
import { dockerOn, startShoalds, type ShoaldInHost } from './shoald-harness.js';

// Where and how tasks run, driven by the docker CLI on a three-host lab: label constraints, a
// global service following its nodes, failing rolling updates (pause, rollback) and a
// start-first update under load. h1 is the manager; h2 joins at the start, h3 joins and leaves.
let lab: Lab;
let hosts: Record<string, ShoaldInHost>;
let run: (h: string, ...args: string[]) => Promise<string>;
let failed = false;

/** A test of this file: a failure dumps the lab's logs once all are done. */
const labTest = (name: string, fn: () => Promise<void>) =>
  test(name, async () => {
    try {
      await fn();
    } catch (err) {
      failed = true;
      throw err;
    }
  });

before(async () => {
  failed = true; // until the cluster is up
  lab = await createLab({ hosts: 3 });
  hosts = await startShoalds(lab, ['h1', 'h2', 'h3']);
  for (const h of Object.values(hosts)) await h.importBusybox();
  run = dockerOn(hosts);
  await run('h1', 'swarm', 'init', '--advertise-addr', lab.host('h1').address, '--dispatcher-heartbeat', '1s');
  await joinSwarm('h2');
  failed = false;
});

after(async () => {
  if (failed) lab.dumpLogs();
  await lab.destroy();
});

async function joinSwarm(h: string): Promise<void> {
  const token = (await run('h1', 'swarm', 'join-token', '-q', 'worker')).trim();
  await run(h, 'swarm', 'join', '--token', token, `${lab.host('h1').address}:2377`);
  await waitUntil(`${h} ready`, async () => (await run('h1', 'node', 'ls', '--format', '{{.Hostname}} {{.Status}}')).includes(`${h} Ready`), { timeoutMs: 15_000, intervalMs: 200 });
}

/** The hosts of a service's tasks that are running and meant to, one entry per task, sorted. */
async function runningOn(service: string): Promise<string[]> {
  const out = await run('h1', 'service', 'ps', '--filter', 'desired-state=running', '--format', '{{.Node}} {{.CurrentState}}', service);
  return out.trim().split('\n').filter((l) => / Running /.test(`${l} `)).map((l) => l.split(' ')[0]!).sort();
}

const waitRunningOn = (service: string, expected: string[], timeoutMs = 30_000) =>
  waitUntil(`${service} running on ${expected.join(',')}`, async () => JSON.stringify(await runningOn(service)) === JSON.stringify(expected), { timeoutMs, intervalMs: 250 });

const inspect = async (service: string, format: string) => (await run('h1', 'service', 'inspect', '--format', format, service)).trim();

const replicas = async (service: string) => (await run('h1', 'service', 'ls', '--filter', `name=${service}`, '--format', '{{.Replicas}}')).trim();

/** Waits until a task of the service is pending with `reason` as its error (as `service ps --no-trunc` shows it). */
async function waitPendingWith(service: string, reason: RegExp): Promise<void> {
  let ps = '';
  await waitUntil(`${service} pending with its reason`, async () => {
    ps = await run('h1', 'service', 'ps', '--no-trunc', '--format', '{{.CurrentState}}|{{.Error}}', service);
    return ps.split('\n').some((l) => /^Pending /.test(l) && reason.test(l));
  }, { timeoutMs: 15_000, intervalMs: 250 }).catch((err: Error) => assert.fail(`${err.message}; service ps shows:\n${ps}`));
}

labTest('constraints on node labels: tasks go only where the label matches; none matching leaves them pending with the reason', async () => {
  await run('h1', 'node', 'update', '--label-add', 'zone=east', 'h2');
  await run('h1', 'service', 'create', '--detach', '--name', 'east', '--replicas', '3', '--constraint', 'node.labels.zone==east', '--stop-grace-period', '1s', 'busybox', 'sleep', '100000');
  await waitRunningOn('east', ['h2', 'h2', 'h2']);

  await run('h1', 'service', 'create', '--detach', '--name', 'west', '--constraint', 'node.labels.zone==west', '--constraint', 'node.role!=manager', 'busybox', 'sleep', '100000');
  await waitPendingWith('west', /"no suitable node \(scheduling constraints not satisfied on 2 nodes\)"/);
  // The label on the manager is not enough (node.role!=manager); on the worker h2 it is.
  await run('h1', 'node', 'update', '--label-add', 'zone=west', 'h1');
  await new Promise((r) => setTimeout(r, 1000));
  assert.deepEqual(await runningOn('west'), []);
  await run('h1', 'node', 'update', '--label-add', 'zone=west', 'h2');
  await waitRunningOn('west', ['h2']);
  // Labels changed under a running task: the task leaves (as in swarmkit, a constraint is checked on every node change).
  await run('h1', 'node', 'update', '--label-rm', 'zone', 'h2');
  await waitRunningOn('east', []);
  assert.equal(await replicas('east'), '0/3');
  await run('h1', 'service', 'rm', 'east', 'west');
});

labTest('a global service follows its nodes: one task each, a joining node gets one, a drained or departed one loses it', async () => {
  await run('h1', 'service', 'create', '--detach', '--name', 'everywhere', '--mode', 'global', '--stop-grace-period', '1s', 'busybox', 'sleep', '100000');
  await waitRunningOn('everywhere', ['h1', 'h2']);
  await joinSwarm('h3');
  await waitRunningOn('everywhere', ['h1', 'h2', 'h3']);
  assert.equal(await replicas('everywhere'), '3/3');

  await run('h1', 'node', 'update', '--availability', 'drain', 'h2');
  await waitRunningOn('everywhere', ['h1', 'h3']);
  await run('h1', 'node', 'update', '--availability', 'active', 'h2');
  await waitRunningOn('everywhere', ['h1', 'h2', 'h3']);

  await run('h3', 'swarm', 'leave');
  await waitRunningOn('everywhere', ['h1', 'h2']);
  await waitUntil('everywhere at 2/2', async () => (await replicas('everywhere')) === '2/2', { timeoutMs: 15_000, intervalMs: 250 });
  await run('h1', 'node', 'rm', 'h3');

  // A global job: one run to completion per node, counted as docker shows it.
  await run('h1', 'service', 'create', '--detach', '--name', 'once', '--mode', 'global-job', 'busybox', 'true');
  await waitUntil('once completed on both nodes', async () => (await replicas('once')) === '0/0 (2/2 completed)', { timeoutMs: 20_000, intervalMs: 250 });
  // Done is what a job task is for: Docker shows Complete as its desired state, not Shutdown.
  await waitUntil('both tasks of once desired Complete', async () => {
    const states = (await run('h1', 'service', 'ps', '--format', '{{.DesiredState}} {{.CurrentState}}', 'once')).trim().split('\n');
    return states.length === 2 && states.every((l) => l.startsWith('Complete Complete'));
  }, { timeoutMs: 5000, intervalMs: 250 });
  await run('h1', 'service', 'rm', 'everywhere', 'once');
});

labTest('placement preferences spread over a label first; reservations and max replicas per node leave tasks pending with the reason', async () => {
  await joinSwarm('h3');
  for (const [h, rack] of [['h1', 'r1'], ['h2', 'r1'], ['h3', 'r2']]) await run('h1', 'node', 'update', '--label-add', `rack=${rack}`, h!);
  // Two racks: half the tasks go to r2 (h3 alone), the other half spread over r1's two hosts.
  await run('h1', 'service', 'create', '--detach', '--name', 'racked', '--replicas', '4', '--placement-pref', 'spread=node.labels.rack', '--stop-grace-period', '1s', 'busybox', 'sleep', '100000');
  await waitRunningOn('racked', ['h1', 'h2', 'h3', 'h3']);

  await run('h1', 'service', 'create', '--detach', '--name', 'big', '--reserve-memory', '100000G', 'busybox', 'sleep', '100000');
  await waitPendingWith('big', /"no suitable node \(insufficient resources on 3 nodes\)"/);
  await run('h1', 'service', 'create', '--detach', '--name', 'capped', '--replicas', '4', '--replicas-max-per-node', '1', '--stop-grace-period', '1s', 'busybox', 'sleep', '100000');
  await waitRunningOn('capped', ['h1', 'h2', 'h3']);
  await waitPendingWith('capped', /"no suitable node \(max replicas per node limit exceed\)"/);
  assert.equal(await replicas('capped'), '3/4 (max 1 per node)');
  await run('h1', 'service', 'rm', 'racked', 'big', 'capped');
});

labTest('a rolling update whose new tasks fail pauses (--update-failure-action pause), keeping the old tasks', async () => {
  await run('h1', 'service', 'create', '--detach', '--name', 'flaky', '--replicas', '3', '--stop-grace-period', '1s',
    '--update-failure-action', 'pause', '--update-monitor', '2s', '--update-parallelism', '1', 'busybox', 'sleep', '100000');
  await waitUntil('flaky at 3/3', async () => (await replicas('flaky')) === '3/3', { timeoutMs: 30_000, intervalMs: 250 });
  await run('h1', 'service', 'update', '--detach', '--args', 'false', 'flaky');
  await waitUntil('update paused', async () => (await inspect('flaky', '{{.UpdateStatus.State}}')) === 'paused', { timeoutMs: 30_000, intervalMs: 250 });
  assert.match(await inspect('flaky', '{{.UpdateStatus.Message}}'), /^update paused due to failure or early termination of task [0-9a-z]{25}$/);
  // One slot at a time: the lane may have moved to the second slot in the moment the first new
  // task ran before failing (as in swarmkit), never to the third, which still runs the old spec.
  const ps = await run('h1', 'service', 'ps', '--filter', 'desired-state=running', '--format', '{{.Name}} {{.CurrentState}}', 'flaky');
  assert.match(ps, /flaky\.3 Running/);
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(await inspect('flaky', '{{.UpdateStatus.State}}'), 'paused');
  assert.match(await run('h1', 'service', 'ps', '--filter', 'desired-state=running', '--format', '{{.Name}} {{.CurrentState}}', 'flaky'), /flaky\.3 Running/);
  await run('h1', 'service', 'rm', 'flaky');
});

labTest('a rolling update whose new tasks fail rolls back by itself (--update-failure-action rollback)', async () => {
  await run('h1', 'service', 'create', '--detach', '--name', 'canary', '--replicas', '2', '--stop-grace-period', '1s',
    '--update-failure-action', 'rollback', '--update-monitor', '2s', '--rollback-monitor', '1s', 'busybox', 'sleep', '100000');
  await waitUntil('canary at 2/2', async () => (await replicas('canary')) === '2/2', { timeoutMs: 30_000, intervalMs: 250 });
  await run('h1', 'service', 'update', '--detach', '--args', 'false', 'canary');
  await waitUntil('rollback completed', async () => (await inspect('canary', '{{.UpdateStatus.State}}')) === 'rollback_completed', { timeoutMs: 40_000, intervalMs: 250 });
  assert.equal(await inspect('canary', '{{json .Spec.TaskTemplate.ContainerSpec.Args}}'), '["sleep","100000"]');
  await waitUntil('canary at 2/2 again', async () => (await replicas('canary')) === '2/2', { timeoutMs: 20_000, intervalMs: 250 });
  const running = await run('h1', 'service', 'ps', '--filter', 'desired-state=running', '--no-trunc', '--format', '{{.Image}}', 'canary');
  assert.equal(running.trim().split('\n').length, 2);
  await run('h1', 'service', 'rm', 'canary');
});

labTest('a start-first update under a steady client load fails no request', async () => {
  await run('h1', 'service', 'create', '--detach', '--name', 'web', '--replicas', '2', '-p', '8080:80', '--stop-grace-period', '2s',
    '--update-order', 'start-first', '--update-parallelism', '1', '--update-delay', '1s', '--update-monitor', '1s',
    'busybox', 'sh', '-c', 'mkdir -p /www && echo v$V > /www/index.html && exec httpd -f -p 80 -h /www');
  await waitUntil('web at 2/2', async () => (await replicas('web')) === '2/2', { timeoutMs: 30_000, intervalMs: 250 });
  const get = `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | busybox nc -w 3 ${lab.host('h1').address} 8080 | busybox tail -n 1`;
  await waitUntil('web answers', async () => (await lab.exec(lab.labHost, 'busybox', ['sh', '-c', get], { allowFail: true })).stdout.trim() === 'v', { timeoutMs: 20_000, intervalMs: 250 });

  // A client in the lab's outside namespace: one request after another (about 10/s) until told to
  // stop; each prints the body's line, or FAILED.
  const stop = pathJoin(lab.dir, 'stop-load');
  const script = `while [ ! -e ${stop} ]; do r=$(${get}); echo "\${r:-FAILED}"; busybox usleep 50000; done`;
  const load = lab.exec(lab.labHost, 'busybox', ['sh', '-c', script], { timeoutMs: 180_000 });
  await new Promise((r) => setTimeout(r, 1000));
  await run('h1', 'service', 'update', '--detach', '--env-add', 'V=2', 'web');
  await waitUntil('update completed', async () => (await inspect('web', '{{.UpdateStatus.State}}')) === 'completed', { timeoutMs: 60_000, intervalMs: 300 });
  await new Promise((r) => setTimeout(r, 1000));
  writeFileSync(stop, '');
  const out = (await load).stdout;
  const answers = out.split('\n').filter(Boolean);
  assert.ok(answers.filter((l) => l === 'v').length > 10, `requests before the update:\n${out}`);
  assert.ok(answers.filter((l) => l === 'v2').length > 10, `requests after the update:\n${out}`);
  assert.deepEqual(answers.filter((l) => l !== 'v' && l !== 'v2'), [], 'no failed request');
});
