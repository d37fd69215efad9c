import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitUntil } from '../lab/index.js';
import { sleep } from '../../src/util/clock.js';
import { LabSuite } from './faults/lab-suite.js';
import type { ShoaldInHost } from './shoald-harness.js';
import { acknowledged, assertNoDuplicates, assertNothingLost, waitTablesConverged } from './faults/cluster-checks.js';
import { lastFailureAfter, startLoad, unexplainedFailures, type FaultWindow, type LoadResultRequests, type LoadSummary } from './faults/load.js';
import { lostHostDropped, markedDownSince, runsTaskOf } from './faults/mesh-window.js';

// Faults on a live cluster: three managers (so one can be lost with quorum kept) and a worker, a
// service serving a bounded client load (20 requests/s, 3 s timeout, never through the faulted
// host) from the lab's outside namespace through the routing mesh. After each fault: nothing
// acknowledged lost, no slot run twice, no address given twice, every host on the managers'
// endpoint table, and a short load through every host with no failure at all. The failures during
// each fault are held to the mesh's promise (issue #7: nftables, none but those in flight on a lost
// host; userspace, none): a request may fail only if it was in flight when the fault struck or, when
// the fault lost a host running a task of the service, was sent before every other host's mesh
// dropped that host's tasks (measured from the daemons' logs). They are counted and printed
// (README: the fault suite's numbers). The data plane under test: the default (nftables where the
// kernel takes it), or another one named in SHOAL_FAULTS_DATAPLANE to compare.
const DATAPLANE = process.env['SHOAL_FAULTS_DATAPLANE'] ?? 'auto';
const HOSTS = ['h1', 'h2', 'h3', 'h4'];
const MANAGERS = ['h1', 'h2', 'h3'];
const suite = new LabSuite('fault suite summary');
const { run } = suite;
const acked = acknowledged();

const entry = (h: string) => `${suite.lab.host(h).address}:8080`;
const others = (down: string) => HOSTS.filter((h) => h !== down);

async function managerStatus(from: string): Promise<Record<string, string>> {
  const out = await run(from, 'node', 'ls', '--format', '{{.Hostname}} {{.Status}} {{.ManagerStatus}}');
  return Object.fromEntries(out.trim().split('\n').map((l) => [l.split(' ')[0], l.split(' ').slice(1).join(' ').trim()]));
}

async function leader(from: string): Promise<string> {
  return waitUntil('a leader', async () => Object.entries(await managerStatus(from)).find(([, s]) => s.endsWith('Leader'))?.[0], { timeoutMs: 20_000, intervalMs: 200 });
}

/**
 * Time from `since` until a write (a new overlay network, then acknowledged) succeeds on `via`. An
 * attempt the CLI gave up on may still commit: a later one then finds the network, which counts.
 */
async function firstWriteAfter(since: number, via: string, name: string): Promise<number> {
  await waitUntil(`a write accepted through ${via}`, async () => {
    const res = await suite.hosts[via]!.docker(['network', 'create', '-d', 'overlay', name], { allowFail: true, timeoutMs: 5000 });
    return res.code === 0 || res.stderr.includes('already exists');
  }, { timeoutMs: 30_000, intervalMs: 200 });
  acked.networks.add(name);
  return Date.now() - since;
}

/** Every host Ready, the managers all reachable, and `web` serving 4/4 again. */
async function healthy(from: string): Promise<void> {
  await waitUntil('all hosts ready, three managers', async () => {
    const s = await managerStatus(from);
    return HOSTS.every((h) => s[h]?.startsWith('Ready')) && MANAGERS.every((h) => /Leader|Reachable/.test(s[h]!)) && s;
  }, { timeoutMs: 40_000, intervalMs: 300 });
  await suite.hosts[from]!.waitForReplicas('web', '4/4', 40_000);
}

/**
 * After a fault: nothing acknowledged lost, no slot or address twice, every host on the managers'
 * table, and then a short load through every host with no failed request at all.
 */
async function checkInvariants(from: string): Promise<void> {
  await assertNothingLost(run, from, acked);
  await assertNoDuplicates(run, from);
  await waitTablesConverged(run, from);
  const steady = await startLoad(suite.lab, HOSTS.map(entry), { maxRequests: 60, ratePerSec: 40 });
  const counts = await steady.finish(true);
  assert.equal(counts.failed, 0, `after the fault, requests still fail: ${JSON.stringify(counts.errors)} by entry ${JSON.stringify(counts.failedByTarget)}`);
}

function note(fault: string, load: LoadSummary, extra = ''): void {
  suite.note(`${fault}: ${load.failed} of ${load.sent} requests failed ${JSON.stringify(load.errors)}${extra}`);
}

/** The failures of a fault's load are all within the mesh's promise (see the top of this file). */
function assertWithinPromise(fault: string, requests: LoadResultRequests, faults: FaultWindow[]): void {
  const bad = unexplainedFailures(requests, faults).map((r) => `${r.error} from ${r.target} sent ${r.at - faults[0]!.at} ms after the fault`);
  assert.deepEqual(bad, [], `${fault}: requests failed that the mesh's promise does not allow (window ${JSON.stringify(faults.map((f) => ({ lostFor: f.lostUntil === undefined ? 0 : f.lostUntil - f.at })))})`);
}

before(() => suite.guarded(async () => {
  await suite.start(HOSTS, ['--dataplane', DATAPLANE]);
  await Promise.all(Object.values(suite.hosts).map((h) => h.importBusybox()));
  await run('h1', 'swarm', 'init', '--advertise-addr', suite.lab.host('h1').address, '--dispatcher-heartbeat', '1s');
  const managerToken = (await run('h1', 'swarm', 'join-token', '-q', 'manager')).trim();
  const workerToken = (await run('h1', 'swarm', 'join-token', '-q', 'worker')).trim();
  for (const h of ['h2', 'h3']) await run(h, 'swarm', 'join', '--token', managerToken, `${suite.lab.host('h1').address}:2377`);
  await run('h4', 'swarm', 'join', '--token', workerToken, `${suite.lab.host('h1').address}:2377`);
  await suite.hosts.h1!.docker(['secret', 'create', 'token', '-'], { input: 'abc' });
  acked.secrets.add('token');
  // Each task serves its hostname; a 1 s grace so stopped tasks go quickly. At most 2 per host: the
  // faults move tasks around (Swarm does not rebalance), and a host holding all four would turn the
  // loss of that host into an outage of the service, not a test of the mesh.
  await run('h1', 'service', 'create', '--detach', '--name', 'web', '--replicas', '4', '--replicas-max-per-node', '2', '-p', '8080:80', '--stop-grace-period', '1s', '--secret', 'token',
    'busybox', 'sh', '-c', 'mkdir -p /www && hostname > /www/index.html && exec httpd -f -p 80 -h /www');
  acked.services.add('web');
  await healthy('h1');
  await checkInvariants('h1');
}));

after(() => suite.finish());

test('tasks without a health check enter the mesh once they accept connections: scaled up under load, no request refused', () => suite.guarded(async () => {
  // Each task listens 2 s after it starts: counted running (and in the mesh) at once, it would refuse.
  await run('h1', 'service', 'create', '--detach', '--name', 'slow', '-p', '8081:80', '--stop-grace-period', '1s',
    'busybox', 'sh', '-c', 'sleep 2; mkdir -p /www && hostname > /www/index.html && exec httpd -f -p 80 -h /www');
  await suite.hosts.h1!.waitForReplicas('slow', '1/1', 30_000);
  const load = await startLoad(suite.lab, HOSTS.map((h) => `${suite.lab.host(h).address}:8081`));
  const t0 = Date.now();
  await run('h1', 'service', 'scale', '--detach', 'slow=4');
  await suite.hosts.h1!.waitForReplicas('slow', '4/4', 30_000);
  const runningMs = Date.now() - t0;
  const counts = await load.finish();
  await run('h1', 'service', 'rm', 'slow');
  note('scale 1→4 of tasks listening 2 s after start', counts, `; 4/4 running after ${runningMs} ms`);
  assert.equal(counts.failed, 0, `requests failed while new tasks started: ${JSON.stringify(counts.errors)}`);
  assert.ok(runningMs >= 2000, `the new tasks counted running after ${runningMs} ms, before they listened`);
}));

test('SIGKILL of the leader during a stack deploy: a new leader in seconds, every acknowledged service kept', () => suite.guarded(async () => {
  const old = await leader('h2');
  const via = MANAGERS.find((h) => h !== old)!;
  const file = join(suite.lab.hostDir(via), 'stack.yml');
  const services = ['a', 'b', 'c', 'd', 'e', 'f'];
  writeFileSync(file, `version: "3.8"\nservices:\n${services.map((s) => `  ${s}:\n    image: busybox\n    command: sleep 100000\n    deploy:\n      replicas: 1\n`).join('')}networks:\n  default:\n    driver: overlay\n`);
  const load = await startLoad(suite.lab, others(old).map(entry));
  const deploy = suite.hosts[via]!.docker(['stack', 'deploy', '-c', file, 'fs'], { allowFail: true, timeoutMs: 60_000 });
  await waitUntil('the deploy under way', async () => (await run(via, 'service', 'ls', '--format', '{{.Name}}')).includes('fs_'), { timeoutMs: 20_000, intervalMs: 50 });
  await suite.hosts[old]!.crash();
  const killedAt = Date.now();
  const result = await deploy;
  // The CLI prints "Creating service X" before its request: a service counts as acknowledged once
  // the next line followed (its request returned) or the deploy succeeded.
  const lines = result.stdout.trim().split('\n');
  lines.forEach((l, i) => {
    const m = /^Creating service (\S+)/.exec(l);
    if (m && (result.code === 0 || i < lines.length - 1)) acked.services.add(m[1]!);
  });
  const failoverMs = await firstWriteAfter(killedAt, via, 'after-leader-kill');
  await suite.hosts[old]!.start();
  await healthy(via);
  // Deploying again completes the stack: every service once, none twice.
  await run(via, 'stack', 'deploy', '-c', file, 'fs');
  for (const s of services) acked.services.add(`fs_${s}`);
  await waitUntil('the stack at 1/1 everywhere', async () => {
    const out = await run(via, 'stack', 'services', 'fs', '--format', '{{.Name}} {{.Replicas}}');
    return services.every((s) => out.includes(`fs_${s} 1/1`));
  }, { timeoutMs: 40_000, intervalMs: 300 });
  const counts = await load.finish();
  await checkInvariants(via);
  note('leader SIGKILL during stack deploy', counts, `; deploy ${result.code === 0 ? 'completed' : 'failed'} (${lines.filter((l) => l.startsWith('Creating service')).length} services started); failover ${failoverMs} ms`);
  assert.ok(failoverMs < 15_000, `failover took ${failoverMs} ms`);
  // Its tasks keep running and its host's kernel keeps forwarding: only requests in flight may fail.
  assertWithinPromise('leader SIGKILL', counts.requests, [{ at: killedAt }]);
}));

const PARTITION_MS = 30_000;

test('the leader partitioned away for 30 s: a new leader, no write admitted on the cut-off side, all back after healing', () => suite.guarded(async () => {
  const cut = await leader('h2');
  const via = MANAGERS.find((h) => h !== cut)!;
  const served = await runsTaskOf(run, via, cut, 'web');
  const load = await startLoad(suite.lab, others(cut).map(entry));
  await suite.lab.partition(cut);
  const cutAt = Date.now();
  let failoverMs = 0;
  let lonely: Awaited<ReturnType<ShoaldInHost['docker']>>;
  let window: { downSeenAt: number; droppedAt: number };
  try {
    const cutSideWrite = suite.hosts[cut]!.docker(['network', 'create', '-d', 'overlay', 'on-the-cut-side'], { allowFail: true, timeoutMs: 5000 });
    const dropped = lostHostDropped(run, suite.hosts, via, cut, others(cut), cutAt);
    dropped.catch(() => undefined); // awaited below, after the failover
    failoverMs = await firstWriteAfter(cutAt, via, 'after-partition');
    lonely = await cutSideWrite;
    if (lonely.code === 0) acked.networks.add('on-the-cut-side');
    window = await dropped;
    await sleep(Math.max(0, PARTITION_MS - (Date.now() - cutAt)));
  } finally {
    await suite.lab.heal(cut); // also when a check failed, so the next test starts from a whole cluster
  }
  const { downSeenAt, droppedAt } = window;
  const healedAt = Date.now();
  await healthy(via);
  const rejoinMs = Date.now() - healedAt;
  const counts = await load.finish();
  const catchUpMs = await assertNothingLost(run, cut, acked);
  await checkInvariants(cut);
  const last = lastFailureAfter(counts.requests, [cutAt]);
  note(`leader ${cut} partitioned ${PARTITION_MS / 1000} s`, counts, `; the last failed request was sent ${last} ms after the cut; failover ${failoverMs} ms; Down after ${downSeenAt - cutAt} ms, its tasks out of every mesh after ${droppedAt - cutAt} ms${served ? '' : ' (it ran no task of web)'}; all Ready ${rejoinMs} ms after healing, its copy of the store caught up ${catchUpMs} ms later; a write on the cut-off side ${lonely.code === 0 ? 'was accepted' : 'failed'}`);
  assert.notEqual(lonely.code, 0, 'a manager without quorum must not acknowledge a write');
  // Not the cut-off side's view: a leader cut off may try to mark the others down before it steps down, but cannot commit it.
  assert.deepEqual(markedDownSince(suite.hosts, others(cut), cutAt), [cut], 'only the cut-off host was marked down');
  assert.ok(failoverMs < 15_000, `failover took ${failoverMs} ms`);
  assertWithinPromise(`leader ${cut} partitioned`, counts.requests, [{ at: cutAt, ...(served ? { lostUntil: droppedAt } : {}) }]);
}));

test('a worker host lost for 10 s and coming back: its tasks replaced, none run twice', () => suite.guarded(async () => {
  const served = await runsTaskOf(run, 'h1', 'h4', 'web');
  const load = await startLoad(suite.lab, others('h4').map(entry));
  // The loss starts with the partition: killing the host's processes can take seconds on a busy machine.
  const lostAt = Date.now();
  let downMs = 0;
  let replacedMs = 0;
  let droppedAt = 0;
  try {
    await suite.lab.partition('h4');
    await suite.lab.killHost('h4');
    const seen = await lostHostDropped(run, suite.hosts, 'h1', 'h4', others('h4'), lostAt);
    downMs = seen.downSeenAt - lostAt;
    droppedAt = seen.droppedAt;
    await suite.hosts.h1!.waitForReplicas('web', '4/4', 30_000);
    replacedMs = Date.now() - lostAt;
    await sleep(Math.max(0, 10_000 - (Date.now() - lostAt)));
  } finally {
    // Back even when a check failed, so the next test starts from a whole cluster.
    await suite.lab.heal('h4');
    await suite.hosts.h4!.start();
  }
  await healthy('h1');
  const counts = await load.finish();
  await checkInvariants('h1');
  const window = lastFailureAfter(counts.requests, [lostAt]);
  note('worker h4 lost 10 s', counts, `; the last failed request was sent ${window} ms after the loss; Down after ${downMs} ms, its tasks out of every mesh after ${droppedAt - lostAt} ms${served ? '' : ' (it ran no task of web)'}, running elsewhere after ${replacedMs} ms`);
  assert.deepEqual(markedDownSince(suite.hosts, others('h4'), lostAt), ['h4'], 'only the lost host was marked down');
  assertWithinPromise('worker h4 lost', counts.requests, [{ at: lostAt, ...(served ? { lostUntil: droppedAt } : {}) }]);
}));

test('shoald restarted on every host in turn while the service serves: the cluster and the tables converge', () => suite.guarded(async () => {
  const total = { sent: 0, failed: 0, errors: {} as Record<string, number> };
  const restartMs: number[] = [];
  const windows: number[] = [];
  for (const h of HOSTS) {
    const load = await startLoad(suite.lab, others(h).map(entry));
    const t0 = Date.now();
    await suite.hosts[h]!.stop();
    await suite.hosts[h]!.start();
    await healthy(h === 'h4' ? 'h1' : h);
    restartMs.push(Date.now() - t0);
    // Ready means serving: the restarted host's own published port answers at once (the next round's load goes through it).
    const through = await (await startLoad(suite.lab, [entry(h)], { maxRequests: 5, ratePerSec: 40 })).finish(true);
    assert.equal(through.failed, 0, `${h} Ready again, but its published port failed ${JSON.stringify(through.errors)}`);
    const counts = await load.finish();
    // A clean stop: its host says goodbye, every other host drops its tasks, then they stop; a
    // request in flight at the stop may still fail.
    assertWithinPromise(`shoald on ${h} restarted`, counts.requests, [{ at: t0 }]);
    windows.push(lastFailureAfter(counts.requests, [t0]));
    total.sent += counts.sent;
    total.failed += counts.failed;
    for (const [e, n] of Object.entries(counts.errors)) total.errors[e] = (total.errors[e] ?? 0) + n;
  }
  await checkInvariants('h2');
  note('rolling restart of shoald on h1..h4', { ...total, failedByTarget: {} }, `; failures up to ${Math.max(...windows)} ms after a stop; each host back and 4/4 serving after ${restartMs.join('/')} ms`);
}));
