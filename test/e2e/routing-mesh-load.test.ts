import { test } from 'node:test';
import assert from 'node:assert/strict';
import { exec } from '../../src/util/exec.js';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sleep } from '../../src/util/clock.js';
import { namespacePrefix } from '../../src/daemon/task-runtime.js';
import { withLab, waitUntil, type Lab } from '../lab/index.js';
import { isAlive } from '../lab/pids.js';
import { MeshLab } from '../lab/mesh/topology.js';
import type { ProbeRequest, ProbeResult } from '../lab/mesh/probe.js';
import { dockerOn, startShoalds, type ShoaldInHost } from './shoald-harness.js';

// The routing mesh as an operator meets it: three shoalds, the real docker CLI, tasks on three
// hosts, a bounded client load from the lab's outside namespace through every host's published
// port while the service scales, rolls and loses a task and then a whole host. The image is not
// imported, so the process runtime runs the host's socat: each datagram and each connection is
// answered with the task's hostname (its UTS namespace), which tells which task took it.
const serve = (tcpAnswer: string) => `socat UDP4-RECVFROM:81,fork SYSTEM:hostname & exec socat TCP4-LISTEN:80,fork,reuseaddr ${tcpAnswer}`;
/**
 * How the tasks answer a TCP connection, and what the clients send first. userspace: once they read
 * a line (a request), so a host lost under the load holds requests whose bytes reached it (the proxy
 * sends them again to another task). nftables: at once on connect (a request-first load also had
 * connections started just after a task's kill returned reset, over one per client; see README).
 */
const TCP = {
  userspace: { serve: serve("SYSTEM:'read l; hostname'"), request: 'who?\n' },
  nftables: { serve: serve('SYSTEM:hostname'), request: undefined },
};

type Run = (h: string, ...args: string[]) => Promise<string>;

async function startCluster(lab: Lab, dataplane: string): Promise<{ hosts: Record<string, ShoaldInHost>; run: Run }> {
  const hosts = await startShoalds(lab, ['h1', 'h2', 'h3'], ['--dataplane', dataplane]);
  const run = dockerOn(hosts);
  await run('h1', 'swarm', 'init', '--advertise-addr', lab.host('h1').address, '--dispatcher-heartbeat', '1s');
  const token = (await run('h1', 'swarm', 'join-token', '-q', 'worker')).trim();
  for (const h of ['h2', 'h3']) await run(h, 'swarm', 'join', '--token', token, `${lab.host('h1').address}:2377`);
  await waitUntil('three nodes ready', async () => (await run('h1', 'node', 'ls', '--format', '{{.Status}}')).trim().split('\n').filter((s) => s === 'Ready').length === 3, { timeoutMs: 20_000 });
  return { hosts, run };
}

/** Running tasks of a service: node hostname and task ID, from `docker service ps`. */
async function runningTasks(run: Run, service: string): Promise<{ node: string; id: string }[]> {
  const out = await run('h1', 'service', 'ps', '--no-trunc', '--filter', 'desired-state=running', '--format', '{{.Node}} {{.ID}} {{.CurrentState}}', service);
  return out.trim().split('\n').filter((l) => l.includes('Running')).map((l) => ({ node: l.split(' ')[0]!, id: l.split(' ')[1]! }));
}

const waitRunning = (run: Run, service: string, n: number, hostsAtLeast = 1) =>
  waitUntil(`${service} at ${n} running`, async () => {
    const tasks = await runningTasks(run, service);
    return tasks.length === n && new Set(tasks.map((t) => t.node)).size >= hostsAtLeast && tasks;
  }, { timeoutMs: 60_000, intervalMs: 300 });

function summary(r: ProbeResult): string {
  const ok = Object.values(r.counts).reduce((a, b) => a + b, 0);
  return `${ok + r.failures} requests, ${r.failures} failed${r.failures ? ` (${r.errors.slice(0, 4).join('; ')})` : ''}, ${r.slow} answered after a SYN retransmit, ${Object.keys(r.counts).length} tasks answered`;
}

/** The load's clients: at most this many requests are in flight at any moment. */
const CONCURRENCY = 4;

/**
 * The failures of a phase that killed something at `killedAt` (unix ms, once the kill returned)
 * are only requests in flight on what was killed: each started before the kill, at most one per client.
 */
function onlyInFlight(r: ProbeResult, killedAt: number): void {
  assert.ok(r.failures <= CONCURRENCY && r.failedStarts.every((t) => t < killedAt), `failures other than requests in flight at the kill (${killedAt}): started at ${JSON.stringify(r.failedStarts)}; ${summary(r)}`);
}

/** The times (unix ms) of the lines of shoald's log whose message includes `msg` (and `also`, if given). */
function loggedAt(shoald: ShoaldInHost, msg: string, also = ''): number[] {
  return readFileSync(shoald.process.logPath, 'utf8').split('\n').filter((l) => l.includes(msg) && l.includes(also)).map((l) => (JSON.parse(l) as { time: number }).time);
}

/** When shoald logged that `taskId` failed its health check (unix ms). */
function failedCheckAt(shoald: ShoaldInHost, taskId: string): number {
  const [at] = loggedAt(shoald, 'failed its health check', taskId);
  assert.ok(at, `shoald logged no failed health check of ${taskId}`);
  return at;
}

/** For each host, ms from `since` to the first endpoint table it applied after (the one without a killed task). */
const firstTableAfter = (hosts: Record<string, ShoaldInHost>, since: number): Record<string, number | undefined> =>
  Object.fromEntries(Object.entries(hosts).map(([h, d]) => [h, loggedAt(d, 'endpoint table applied').find((t) => t >= since)! - since]));

for (const dataplane of ['userspace', 'nftables'] as const) {
  test(`the mesh under load through three shoalds: TCP and UDP on every host, VIPs, scale, update, a lost task and a lost host (${dataplane})`, async () => {
    await withLab({ hosts: 3 }, async (lab) => {
      const { hosts, run } = await startCluster(lab, dataplane);
      const probe = async (req: ProbeRequest) => new MeshLab(lab).startProbe(req);
      const ports = (port: number, names = ['h1', 'h2', 'h3']) => names.map((h) => ({ host: lab.host(h).address, port }));

      await run('h1', 'network', 'create', '-d', 'overlay', 'appnet');
      // Healthy while no `sick-<hostname>` file exists: the test makes one task fail its check later.
      const sickFile = (hostname: string) => join(lab.hostDir('h1'), `sick-${hostname}`);
      await run('h1', 'service', 'create', '--detach', '--name', 'who', '--replicas', '3', '--network', 'appnet',
        '-p', '8080:80', '-p', '8081:81/udp', '--stop-grace-period', '2s', '--update-parallelism', '1', '--update-delay', '500ms',
        '--health-cmd', `test ! -f ${sickFile('$(hostname)')}`, '--health-interval', '1s', '--health-retries', '1',
        'socat', 'sh', '-c', TCP[dataplane].serve);
      await waitRunning(run, 'who', 3, 3);

      // TCP and UDP through each host's published port reach all three tasks.
      for (const proto of ['tcp', 'udp'] as const) {
        const port = proto === 'tcp' ? 8080 : 8081;
        await waitUntil(`${proto} on every host reaches all three tasks`, async () => {
          const r = await (await probe({ mode: 'count', proto, targets: ports(port), n: 9, timeoutMs: 3000, request: TCP[dataplane].request })).result();
          return Object.keys(r.counts).length === 3 && r.failures === 0;
        }, { timeoutMs: 30_000, intervalMs: 500 });
      }

      // A task of another service on appnet reaches who's VIP, balanced over its tasks.
      await run('h1', 'service', 'create', '--detach', '--name', 'client', '--network', 'appnet', '--constraint', 'node.hostname==h2', 'socat', 'sleep', '1000000');
      const [client] = await waitRunning(run, 'client', 1);
      const vips = JSON.parse(await run('h1', 'service', 'inspect', 'who', '--format', '{{json .Endpoint.VirtualIPs}}')) as { NetworkID: string; Addr: string }[];
      const appnetId = (await run('h1', 'network', 'inspect', 'appnet', '--format', '{{.Id}}')).trim();
      const vipAddr = vips.find((v) => v.NetworkID === appnetId)!.Addr.split('/')[0]!;
      const clientNs = `${namespacePrefix(hosts.h2!.dataDir)}-${client!.id.slice(0, 12)}`;
      const seenViaVip = new Set<string>();
      await waitUntil('the VIP balances over the three tasks', async () => {
        const res = await exec('ip', ['netns', 'exec', clientNs, 'socat', '-t5', '-T2', '-', `TCP4:${vipAddr}:80`], { allowFail: true, timeoutMs: 5_000, input: TCP[dataplane].request });
        if (res.code === 0 && res.stdout.trim()) seenViaVip.add(res.stdout.trim());
        return seenViaVip.size === 3;
      }, { timeoutMs: 20_000, intervalMs: 100 });

      // The client's DNS server (its gateway, this host's address on appnet) names the VIP at once.
      const gateway = /default via (\S+)/.exec((await exec('ip', ['netns', 'exec', clientNs, 'ip', '-4', 'route', 'show', 'default'])).stdout)![1]!;
      const lookup = await exec('ip', ['netns', 'exec', clientNs, 'busybox', 'nslookup', 'who', gateway], { allowFail: true, timeoutMs: 5_000 });
      assert.match(lookup.stdout, new RegExp(`Address:\\s+${vipAddr.replace(/\./g, '\\.')}\\b`), `nslookup who at ${gateway}: ${lookup.stdout}${lookup.stderr}`);

      // Steady load through the published port while the service changes shape; the probe stops
      // when the phase's stop file appears, a second after the change has settled.
      const phases: { what: string; r: ProbeResult; ms: number }[] = [];
      const measure = async (what: string, targets: { host: string; port: number }[], change: () => Promise<unknown>) => {
        const stopFile = join(lab.hostDir('h1'), `stop-load-${phases.length}`);
        const load = await probe({ mode: 'load', proto: 'tcp', targets, concurrency: CONCURRENCY, durationMs: 90_000, timeoutMs: 10_000, stopFile, request: TCP[dataplane].request });
        // Node may take a second to start on a busy machine: the load runs half a second before the change.
        await load.started();
        await sleep(500);
        const started = Date.now();
        await change();
        const ms = Date.now() - started;
        await sleep(1000);
        writeFileSync(stopFile, '');
        const r = await load.result();
        phases.push({ what, r, ms });
        process.stdout.write(`# ${dataplane}: ${what} (${ms} ms): ${summary(r)}\n`);
        assert.ok(Object.values(r.counts).reduce((a, b) => a + b, 0) > 50, `the load ran during ${what}: ${summary(r)}`);
        return r;
      };
      const updated = () => waitUntil('the update completed', async () => (await run('h1', 'service', 'inspect', 'who', '--format', '{{.UpdateStatus.State}}')).trim() === 'completed', { timeoutMs: 60_000, intervalMs: 300 });

      const scale = await measure('scale 3 → 6 → 2', ports(8080), async () => {
        await run('h1', 'service', 'scale', '--detach', 'who=6');
        await waitRunning(run, 'who', 6, 3);
        await run('h1', 'service', 'scale', '--detach', 'who=2');
        await waitRunning(run, 'who', 2);
      });
      const update = await measure('rolling update', ports(8080), async () => {
        await run('h1', 'service', 'update', '--detach', '--force', 'who');
        await updated();
      });
      assert.equal(scale.failures, 0, `scaling failed requests: ${summary(scale)}`);
      assert.equal(update.failures, 0, `the rolling update failed requests: ${summary(update)}`);

      // A task fails its health check: it leaves every host's mesh within one check interval, is
      // stopped once every host confirmed that, marked failed (unhealthy) and replaced.
      const beforeSick = await runningTasks(run, 'who');
      const sick = beforeSick[0]!;
      const unhealthy = await measure('a task failing its health check', ports(8080), async () => {
        writeFileSync(sickFile(sick.id.slice(0, 12)), '');
        await waitUntil('the unhealthy task replaced', async () => {
          const now = await runningTasks(run, 'who');
          return now.length === 2 && !now.some((t) => t.id === sick.id);
        }, { timeoutMs: 30_000, intervalMs: 200 });
      });
      const sickState = await run('h1', 'service', 'ps', '--no-trunc', '--format', '{{.ID}} {{.CurrentState}} {{.Error}}', 'who');
      assert.match(sickState, new RegExp(`^${sick.id} Failed .*unhealthy`, 'm'), sickState);
      assert.equal(unhealthy.failures, 0, `an unhealthy task failed requests: ${summary(unhealthy)}`);
      const failedAt = failedCheckAt(hosts[sick.node]!, sick.id);
      const lastNew = unhealthy.lastStarted[sick.id.slice(0, 12)] ?? {};
      const afterCheck = Object.fromEntries(Object.entries(lastNew).map(([h, t]) => [h, t - failedAt]));
      process.stdout.write(`# ${dataplane}: the last new connection to the unhealthy task, ms after its failed check, by entry host: ${JSON.stringify(afterCheck)}\n`);
      assert.equal(Object.keys(afterCheck).length, 3, `every host sent the task connections before: ${JSON.stringify(afterCheck)}`);
      for (const [h, ms] of Object.entries(afterCheck)) assert.ok(ms <= 1000, `${h} still sent the unhealthy task a new connection ${ms} ms after its failed check (interval 1 s)`);

      let [killing, killedAt] = [0, 0];
      const killed = await measure('a task killed', ports(8080), async () => {
        const before = await runningTasks(run, 'who');
        const victim = before.find((t) => t.node !== 'h1') ?? before[0]!;
        const ns = `${namespacePrefix(hosts[victim.node]!.dataDir)}-${victim.id.slice(0, 12)}`;
        const pids = (await exec('ip', ['netns', 'pids', ns])).stdout.trim().split('\n').filter(Boolean).map(Number);
        // socat's per-connection children come and go: one may be gone already.
        killing = Date.now();
        await exec('kill', ['-KILL', ...pids.map(String)], { allowFail: true });
        // Killed once its processes are gone: until then its listening socket completes handshakes,
        // and resets them as it closes (requests in flight on it, though started after `kill` returned).
        await waitUntil("the killed task's processes gone", () => !pids.some(isAlive), { intervalMs: 2 });
        killedAt = Date.now();
        await waitUntil('the killed task replaced', async () => {
          const now = await runningTasks(run, 'who');
          return now.length === 2 && !now.some((t) => t.id === victim.id);
        }, { timeoutMs: 30_000, intervalMs: 200 });
      });

      process.stdout.write(`# ${dataplane}: ms from the kill to each host's next endpoint table: ${JSON.stringify(firstTableAfter(hosts, killing))}\n`);

      // A worker host with a task is lost (its shoald and its packets); the load goes to the others.
      const tasks = await runningTasks(run, 'who');
      const lost = tasks.find((t) => t.node !== 'h1')?.node ?? 'h2';
      const others = ['h1', 'h2', 'h3'].filter((h) => h !== lost);
      let lostAt = 0;
      const hostLost = await measure(`host ${lost} lost`, ports(8080, others), async () => {
        await lab.partition(lost);
        lostAt = Date.now();
        await lab.killHost(lost);
        await waitUntil(`${lost} down and its task replaced`, async () => {
          const down = (await run('h1', 'node', 'ls', '--format', '{{.Hostname}} {{.Status}}')).includes(`${lost} Down`);
          const now = await runningTasks(run, 'who');
          return down && now.length === 2 && now.every((t) => t.node !== lost);
        }, { timeoutMs: 40_000, intervalMs: 300 });
      });
      if (dataplane === 'userspace') {
        // The userspace proxy retries a failed connect on another backend, and moves a request a backend
        // has not answered (its bytes kept and sent again) when the backend leaves the table: nothing fails.
        assert.equal(killed.failures, 0, `a killed task failed requests: ${summary(killed)}`);
        assert.equal(hostLost.failures, 0, `the lost host failed requests: ${summary(hostLost)}`);
      } else {
        // Only requests in flight on the killed task or host fail: a refusal by the dead task, before
        // every host dropped it from its table, is retried on another backend (the client's SYN retransmit).
        onlyInFlight(killed, killedAt);
        onlyInFlight(hostLost, lostAt);
      }
    });
  });
}
