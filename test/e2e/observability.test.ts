import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { exec } from '../../src/util/exec.js';
import { dockerCli, waitUntil, withLab } from '../lab/index.js';
import { ShoaldInHost } from './shoald-harness.js';
import { httpServer, WalkthroughCluster, type TaskView } from './walkthrough-cluster.js';
import { metricSum, metricValue, parsePrometheusText, type ParsedFamily } from './prometheus-text.js';

// Issue 12 on one three-host lab: h1 and h2 managers with the kernel data plane (nftables), h3 a
// worker with the userspace one. Events are resumed across a reconnect (to the other manager)
// while tasks churn and counted against a full read; /metrics is parsed strictly and its counters
// follow the traffic and the scaling; `shoal trace` names the backend the next connection takes,
// and the test makes that connection and compares.

const SHOAL = resolve('bin/shoal');
const METRICS = '127.0.0.1:9323';

interface Event {
  Type: string;
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  timeNano: number;
}

/** Event lines from `docker events --format '{{json .}}'`, with the exact timeNano kept as text for the cursor. */
function parseEvents(out: string): { key: string; nano: bigint; e: Event }[] {
  return out.split('\n').filter((l) => l.trim()).map((l) => {
    const nano = BigInt(/"timeNano":(\d+)/.exec(l)![1]!);
    const e = JSON.parse(l) as Event;
    return { key: `${nano} ${e.Type} ${e.Action} ${e.Actor.ID}`, nano, e };
  });
}

/** The upper bound of the histogram bucket holding quantile `q`. */
function quantileBound(families: Map<string, ParsedFamily>, name: string, q: number): string {
  const buckets = families.get(name)!.samples.filter((s) => s.name === `${name}_bucket`);
  const total = buckets.at(-1)!.value;
  return buckets.find((b) => b.value >= q * total)!.labels['le']!;
}

const sinceArg = (nano: bigint): string => `${nano / 1_000_000_000n}.${(nano % 1_000_000_000n).toString().padStart(9, '0')}`;

test('events resume from a cursor, metrics parse and move, trace agrees with the connection (nftables and userspace)', async (t) => {
  await withLab({ hosts: 3 }, async (lab) => {
    const hosts: Record<string, ShoaldInHost> = {};
    for (const h of ['h1', 'h2', 'h3']) {
      const dataplane = h === 'h3' ? 'userspace' : 'nftables';
      hosts[h] = new ShoaldInHost(lab, h, ['--advertise-addr', lab.host(h).address, '--metrics-addr', METRICS, '--dataplane', dataplane]);
      await hosts[h]!.start();
      await hosts[h]!.importBusybox();
    }
    const c = new WalkthroughCluster(lab, hosts);
    await c.init();
    const managerToken = (await c.run('h1', 'swarm', 'join-token', '-q', 'manager')).trim();
    const workerToken = (await c.run('h1', 'swarm', 'join-token', '-q', 'worker')).trim();
    await c.run('h2', 'swarm', 'join', '--token', managerToken, c.managerAddr);
    await c.run('h3', 'swarm', 'join', '--token', workerToken, c.managerAddr);
    await c.waitNodes({ h1: 'Ready Active Leader', h2: 'Ready Active Reachable', h3: 'Ready Active' });
    await c.run('h1', 'network', 'create', '-d', 'overlay', 'obs');

    const scrape = async (h: string): Promise<Map<string, ParsedFamily>> => {
      const res = await lab.exec(h, 'busybox', ['wget', '-q', '-O', '-', `http://${METRICS}/metrics`], { timeoutMs: 10_000 });
      return parsePrometheusText(res.stdout);
    };
    const shoal = async (h: string, ...args: string[]): Promise<string> => (await exec(process.execPath, [SHOAL, '-H', `unix://${hosts[h]!.socket}`, ...args], { timeoutMs: 30_000 })).stdout;

    await t.test('docker events --since <cursor> resumes without loss across a reconnect while tasks churn', async () => {
      const start = BigInt(Date.now()) * 1_000_000n;
      // The first client follows h1 live; it is cut off after a few events, while the churn goes on.
      const first = spawn(dockerCli(), ['-H', `unix://${hosts.h1!.socket}`, 'events', '--format', '{{json .}}', '--filter', 'type=task', '--filter', 'type=endpoint', '--filter', 'type=service']);
      let firstOut = '';
      first.stdout.on('data', (d: Buffer) => (firstOut += d.toString()));
      const churn = (async () => {
        await c.run('h1', 'service', 'create', '--detach', '--name', 'churn', '--replicas', '3', '--network', 'obs', '--stop-grace-period', '1s', 'busybox', 'sleep', '100000');
        await c.waitRunning('churn', 3);
        await c.run('h1', 'service', 'scale', '--detach', 'churn=6');
        await c.waitRunning('churn', 6);
        await c.run('h1', 'service', 'scale', '--detach', 'churn=1');
        await c.waitRunning('churn', 1);
        await c.run('h1', 'service', 'update', '--detach', '--force', 'churn');
        await c.waitRunning('churn', 1);
        await c.run('h1', 'service', 'rm', 'churn');
      })();
      await waitUntil('the first client to see some events', () => parseEvents(firstOut.slice(0, firstOut.lastIndexOf('\n') + 1)).length >= 8, { timeoutMs: 30_000, intervalMs: 20 });
      first.kill('SIGKILL');
      await new Promise((done) => first.once('close', done));
      const seen = parseEvents(firstOut.slice(0, firstOut.lastIndexOf('\n') + 1));
      await churn;
      await new Promise((r) => setTimeout(r, 1500)); // the last task removals reach the store
      const until = sinceArg(BigInt(Date.now()) * 1_000_000n);
      // Reconnect to the other manager with the cursor of the last event seen.
      const filters = ['--filter', 'type=task', '--filter', 'type=endpoint', '--filter', 'type=service'];
      const resumed = parseEvents((await hosts.h2!.docker(['events', '--since', sinceArg(seen.at(-1)!.nano + 1n), '--until', until, '--format', '{{json .}}', ...filters])).stdout);
      const all = parseEvents((await hosts.h1!.docker(['events', '--since', sinceArg(start), '--until', until, '--format', '{{json .}}', ...filters])).stdout);
      const allOnH2 = parseEvents((await hosts.h2!.docker(['events', '--since', sinceArg(start), '--until', until, '--format', '{{json .}}', ...filters])).stdout);
      assert.deepEqual(allOnH2.map((x) => x.key), all.map((x) => x.key), 'both managers give the same events, times and cursors');
      assert.ok(!resumed.some((x) => x.e.Action === 'resync'), 'nothing was dropped: no resync');
      assert.ok(resumed.length > 0, 'events happened while disconnected');
      assert.deepEqual([...seen, ...resumed].map((x) => x.key), all.map((x) => x.key), 'what the first client saw, then the resumed stream: every event once, in order');
      const actions = new Set(all.map((x) => `${x.e.Type} ${x.e.Action}`));
      for (const a of ['service create', 'service update', 'service remove', 'task create', 'task update', 'endpoint add', 'endpoint drain']) assert.ok(actions.has(a), `${a} among ${[...actions].join(', ')}`);
      t.diagnostic(`events: ${all.length} in all, ${seen.length} before the cut, ${resumed.length} after it`);
      const viaShoal = await shoal('h1', 'events', '--since', sinceArg(start), '--until', until, '--filter', 'type=endpoint');
      assert.equal(viaShoal.trim().split('\n').length, all.filter((x) => x.e.Type === 'endpoint').length, 'shoal events shows the same endpoint events');
      t.diagnostic(`shoal events --filter type=endpoint: ${viaShoal.split('\n')[0]}`);
      assert.match(viaShoal, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z endpoint add [0-9a-z]{25} \(addresses=obs=10\.\d+\.\d+\.\d+\/24,/m);
    });

    await t.test('a scrape of /metrics parses, and its counters move with traffic and scaling (both data planes)', async () => {
      await c.run('h1', 'service', 'create', '--detach', '--name', 'web', '--replicas', '2', '--network', 'obs', '-p', '8080:80', '--stop-grace-period', '1s', ...httpServer(80));
      await c.waitRunning('web', 2);
      await c.reachedEverywhere(8080, 2, ['h1', 'h3']);
      const before = { h1: await scrape('h1'), h3: await scrape('h3') };
      for (const family of ['shoal_raft_term', 'shoal_raft_commit_index', 'shoal_raft_leader_changes_total', 'shoal_scheduler_pending_tasks', 'process_cpu_seconds_total', 'shoal_dns_query_duration_seconds']) {
        assert.ok(before.h1.has(family), `h1 exports ${family}`);
      }
      assert.equal(before.h3.has('shoal_raft_term'), false, 'a worker has no Raft metrics');
      const REQUESTS = 10;
      for (const h of ['h1', 'h3']) for (let i = 0; i < REQUESTS; i++) assert.notEqual(await c.httpGet(h, 8080), '', `GET ${h}:8080`);
      await c.run('h1', 'service', 'scale', '--detach', 'web=3');
      await c.waitRunning('web', 3);
      await waitUntil('h3 to apply the scaled table', async () => (metricValue(await scrape('h3'), 'shoal_endpoint_table_version') ?? 0) > (metricValue(before.h3, 'shoal_endpoint_table_version') ?? 0), { timeoutMs: 10_000, intervalMs: 200 });
      const after = { h1: await scrape('h1'), h3: await scrape('h3') };
      for (const [h, dataplane] of [['h1', 'nftables'], ['h3', 'userspace']] as const) {
        const port = { service: 'web', entry: 'tcp/8080', dataplane };
        const grew = (name: string, labels: Record<string, string> = port) => metricSum(after[h], name, labels) - metricSum(before[h], name, labels);
        assert.ok(grew('shoal_mesh_connections_total') >= REQUESTS, `${h}: connections grew by ${grew('shoal_mesh_connections_total')}`);
        assert.ok(grew('shoal_mesh_backend_connections_total') >= REQUESTS, `${h}: backend connections grew by ${grew('shoal_mesh_backend_connections_total')}`);
        assert.ok(grew('shoal_mesh_bytes_total', { ...port, direction: 'in' }) >= REQUESTS * 18, `${h}: request bytes grew by ${grew('shoal_mesh_bytes_total', { ...port, direction: 'in' })}`);
        assert.ok(grew('shoal_mesh_bytes_total', { ...port, direction: 'out' }) >= REQUESTS * 12, `${h}: answer bytes grew by ${grew('shoal_mesh_bytes_total', { ...port, direction: 'out' })}`);
        assert.ok(grew('shoal_endpoint_commit_to_live_seconds_count', {}) >= 1, `${h}: a table went live`);
        t.diagnostic(`${h} (${dataplane}): commit → rules live over ${metricValue(after[h], 'shoal_endpoint_commit_to_live_seconds_count')} tables: p50 ≤ ${quantileBound(after[h], 'shoal_endpoint_commit_to_live_seconds', 0.5)} s, p90 ≤ ${quantileBound(after[h], 'shoal_endpoint_commit_to_live_seconds', 0.9)} s`);
      }
      assert.ok(metricSum(after.h1, 'shoal_scheduler_placement_seconds_count') > metricSum(before.h1, 'shoal_scheduler_placement_seconds_count'), 'the scale-up was placed');
      assert.ok((metricValue(after.h1, 'shoal_raft_commit_index') ?? 0) > (metricValue(before.h1, 'shoal_raft_commit_index') ?? 0), 'the Raft commit index moved');
      assert.equal(metricValue(after.h1, 'shoal_raft_is_leader'), 1);
    });

    await t.test('shoal trace names the backend the next connection takes: from outside (both data planes) and from a task to the VIP', async () => {
      const outside = lab.labHost.address;
      for (const h of ['h1', 'h3']) {
        for (let round = 0; round < 3; round++) {
          const report = JSON.parse(await shoal('h1', 'trace', '--format', 'json', outside, 'web')) as { hops: { hostname: string; backend?: { taskId: string } }[] };
          const hop = report.hops.find((x) => x.hostname === h)!;
          assert.ok(hop.backend, `${h} has a backend to trace: ${JSON.stringify(hop)}`);
          assert.equal(await c.httpGet(h, 8080), hop.backend.taskId.slice(0, 12), `round ${round}: the connection to ${h}:8080 went where trace said`);
        }
      }
      await c.run('h1', 'service', 'create', '--detach', '--name', 'client', '--network', 'obs', '--constraint', 'node.hostname==h2', '--stop-grace-period', '1s', 'busybox', 'sleep', '100000');
      await c.waitRunning('client', 1);
      const [client] = (await c.tasksOf('client')) as [TaskView];
      const addr = client.NetworksAttachments!.find((a) => a.Network.Spec.Name === 'obs')!.Addresses[0]!.split('/')[0]!;
      const dnsBefore = metricSum(await scrape('h2'), 'shoal_dns_queries_total', { class: 'service' });
      for (let round = 0; round < 3; round++) {
        const text = await shoal('h1', 'trace', addr, 'web');
        assert.match(text, new RegExp(`Client:\\s+${addr.replace(/\./g, '\\.')}: task client\\.1\\.[0-9a-z]{25} on host h2`));
        assert.match(text, /Host:\s+h2 \([\d.]+\), VIP [\d.]+ on network obs, port 80\/tcp\n\s+Rule:\s+table ip shoal chain vip_[\d_]+: .*numgen inc mod 3/);
        const backendTask = /Backend:\s+[\d.]+ \(task web\.\d\.([0-9a-z]{25}) on h\d\)/.exec(text)![1]!;
        const res = await lab.exec('h2', 'nsenter', ['-t', String(client.Status.ContainerStatus!.PID), '--net', '--mount', 'busybox', 'wget', '-q', '-O', '-', 'http://web/'], { timeoutMs: 10_000 });
        assert.equal(res.stdout.trim(), backendTask.slice(0, 12), `round ${round}: the VIP connection went where trace said:\n${text}`);
        if (round === 0) t.diagnostic(`shoal trace ${addr} web:\n${text}`);
      }
      assert.ok(metricSum(await scrape('h2'), 'shoal_dns_queries_total', { class: 'service' }) >= dnsBefore + 3, 'the task resolved web through the embedded DNS, counted');
      // Structured logs: the lines about a task name it, its service, node and networks.
      const line = new RegExp(`"task":"${client.ID}","service":"client","serviceId":"[0-9a-z]{25}","node":"${client.NodeID}","slot":1,"networks":"obs"[^\\n]*"msg":"task started"`);
      assert.match(hosts.h2!.process.output(), line);
    });
  });
});
