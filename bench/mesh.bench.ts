import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EndpointTable } from '../src/cluster/endpoints/types.js';
import { errorMessage } from '../src/util/errors.js';
import { exec } from '../src/util/exec.js';
import { LAB_NS_HOST, waitUntil, withLab, type Lab } from '../test/lab/index.js';
import { MeshHost } from '../test/lab/mesh/mesh-host-client.js';
import { INGRESS, MeshLab, type MeshService } from '../test/lab/mesh/topology.js';
import type { TrafficRequest, TrafficResult } from './mesh/traffic-client.js';
import { cpuMs } from './process-cpu.js';
import { ratio, summarize } from './stats.js';
import type { BenchSuite, Summary } from './suite.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const RUN_MS = Number(process.env.BENCH_RUN_MS ?? 1500);
const APPLIES = Number(process.env.BENCH_APPLIES ?? 300);
const HTTP_PORT = 8080;
const BULK_PORT = 8081;

const here = (f: string) => new URL(f, import.meta.url).pathname;
const service: MeshService = {
  serviceId: 'svcbench',
  name: 'bench',
  ports: [
    { protocol: 'tcp', targetPort: 80, publishedPort: HTTP_PORT, mode: 'ingress' },
    { protocol: 'tcp', targetPort: 81, publishedPort: BULK_PORT, mode: 'ingress' },
  ],
  networks: [INGRESS],
  vipOctet: 100,
};

type Metric = 'bulk' | 'keepalive' | 'newconn';
/** Where a path's client connects: the task itself, or a host's published ports. */
type Path = { host: string; http: number; bulk: number };
/** How each metric is kept as a time (the bench reports medians of times): per 100 MiB, per 1,000 requests or connections. */
const UNIT: Record<Metric, { per: number; label: string }> = {
  bulk: { per: 100 * 2 ** 20, label: 'ms per 100 MiB' },
  keepalive: { per: 1000, label: 'ms per 1,000 requests' },
  newconn: { per: 1000, label: 'ms per 1,000 connections' },
};
const CONCURRENCY: Record<Metric, number> = { bulk: 1, keepalive: 16, newconn: 16 };

/**
 * The routing mesh's data path and update time. Four lab hosts on one underlay joined by a VXLAN:
 * the backend task on h2; the client in the lab namespace reaches it directly (routed through h1
 * and the VXLAN both ways, no NAT: the physical limit), through Shoal nftables on h1, Shoal
 * userspace on h3, and HAProxy (TCP mode, when installed) on h4 — every path crosses the VXLAN.
 */
export const suite: BenchSuite = {
  name: 'mesh',
  description: `routing mesh: direct vs nftables vs userspace vs HAProxy (bulk, keep-alive, new connections, p99), table apply times; ${ROUNDS} rounds of ${RUN_MS} ms`,
  run: (ctx) =>
    withLab({ hosts: 4 }, async (lab) => {
      const mesh = new MeshLab(lab, [INGRESS]);
      await mesh.setUpHosts();
      const task = await mesh.addTask({ name: 'backend', service, host: 'h2', serve: false });
      await mesh.startIn(task, here('./mesh/traffic-server.js'), [String(80), String(81)], /ready/);
      await mesh.linkOverlay();
      const taskIp = task.addresses[INGRESS.networkId]!;
      await directPath(lab, mesh, taskIp);
      const nft = await MeshHost.start(lab, 'h1', 'nftables');
      const user = await MeshHost.start(lab, 'h3', 'userspace');
      const table = mesh.table(1, [service], [task]);
      await nft.apply(table);
      await user.apply(table);
      const published = (host: string): Path => ({ host, http: HTTP_PORT, bulk: BULK_PORT });
      const paths: Record<string, Path> = { direct: { host: taskIp, http: 80, bulk: 81 }, nftables: published(lab.host('h1').address), userspace: published(lab.host('h3').address) };
      // The proxies' own CPU time (all their threads) per unit of work: the userspace data plane's process and HAProxy.
      const proxyPids: Record<string, number> = { userspace: user.process.pid };
      const haproxy = await startHaproxy(lab, taskIp);
      if (haproxy) {
        paths.haproxy = published(lab.host('h4').address);
        proxyPids.haproxy = haproxy;
      } else ctx.progress('HAProxy is not installed (apt-get install haproxy): its column is left out');

      const samples: Record<string, number[]> = {};
      const add = (name: string, v: number) => (samples[name] ??= []).push(v);
      for (let round = 0; round <= ROUNDS; round++) {
        for (const metric of ['bulk', 'keepalive', 'newconn'] as const) {
          for (const [path, to] of Object.entries(paths)) {
            // Every path starts from an empty conntrack table on h1 (which all of them but HAProxy's
            // cross), not from the NATed TIME_WAIT entries of the runs before (dataplane-lab §8 did so too).
            if (metric === 'newconn') await lab.exec('h1', 'conntrack', ['-F'], { allowFail: true });
            const pid = proxyPids[path];
            const cpu0 = pid === undefined ? 0 : cpuMs(pid);
            const r = await traffic(lab, { mode: metric, host: to.host, port: metric === 'bulk' ? to.bulk : to.http, concurrency: CONCURRENCY[metric], durationMs: round === 0 ? 300 : RUN_MS });
            const cpu = pid === undefined ? undefined : ((cpuMs(pid) - cpu0) / r.ops) * UNIT[metric].per;
            if (round === 0) continue; // warm-up
            if (r.errors) ctx.progress(`${metric} ${path}: ${r.errors} errors (${r.firstError})`);
            add(`${metric}.${path}`, (r.elapsedMs / r.ops) * UNIT[metric].per);
            if (cpu !== undefined) add(`cpu.${metric}.${path}`, cpu);
            if (metric !== 'bulk') add(`p99.${metric}.${path}`, r.p99);
            ctx.progress(`round ${round} ${metric.padEnd(9)} ${path.padEnd(9)} ${rate(metric, r)}${metric === 'bulk' ? '' : `, p99 ${r.p99.toFixed(2)} ms`}${cpu === undefined ? '' : `, proxy CPU ${cpu.toFixed(0)} ${UNIT[metric].label}`}`);
          }
        }
      }

      // The other two hosts get a data plane too (nftables), so a table change goes live on four.
      const rest = await Promise.all(['h2', 'h4'].map((h) => MeshHost.start(lab, h, 'nftables')));
      ctx.progress(`apply timings: ${APPLIES} updates of a 1,000-backend service pushed to 4 hosts (3 nftables, 1 userspace), then a 10,000-backend one on h1 and h3`);
      await applyTimings(mesh, [nft, user, ...rest], [nft, user], add, (line) => ctx.progress(line));

      const figures: Record<string, Summary> = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, summarize(v)]));
      const ratios: Record<string, number> = {};
      // BENCH_ROUNDS=0 (warm-up only) measures the apply timings alone.
      for (const metric of ROUNDS > 0 ? (['bulk', 'keepalive', 'newconn'] as const) : []) {
        // Figures are times per unit of work, so a throughput ratio is the baseline's time over the path's.
        for (const path of Object.keys(paths).filter((p) => p !== 'direct')) ratios[`${metric} throughput ${path}/direct`] = ratio(figures[`${metric}.direct`]!, figures[`${metric}.${path}`]!);
        if (!paths.haproxy) continue;
        ratios[`${metric} throughput userspace/haproxy`] = ratio(figures[`${metric}.haproxy`]!, figures[`${metric}.userspace`]!);
        ratios[`${metric} CPU userspace/haproxy`] = ratio(figures[`cpu.${metric}.userspace`]!, figures[`cpu.${metric}.haproxy`]!);
      }
      for (const [metric, u] of Object.entries(UNIT)) ctx.progress(`figures ${metric}.*: ${u.label}; p99.*: ms per request`);
      return { figures, ratios };
    }),
};

/**
 * The direct path, through h1 and the VXLAN both ways like the mesh paths but without NAT: the lab
 * namespace routes the task's subnet via h1, and the task's host sends replies to the client back
 * via h1's overlay address. And room in the client for many short connections.
 */
async function directPath(lab: Lab, mesh: MeshLab, taskIp: string): Promise<void> {
  const subnet = `${taskIp.split('.').slice(0, 3).join('.')}.0/24`;
  await lab.exec(LAB_NS_HOST, 'ip', ['route', 'add', subnet, 'via', lab.host('h1').address]);
  await lab.exec('h2', 'ip', ['route', 'add', `${lab.labHost.address}/32`, 'via', mesh.hostAddress(INGRESS, 'h1')]);
  await lab.exec(LAB_NS_HOST, 'sysctl', ['-q', '-w', 'net.ipv4.ip_local_port_range=1024 65535', 'net.ipv4.tcp_tw_reuse=1']);
}

async function traffic(lab: Lab, req: TrafficRequest): Promise<TrafficResult> {
  const { stdout } = await lab.exec(LAB_NS_HOST, process.execPath, [here('./mesh/traffic-client.js'), JSON.stringify(req)], { timeoutMs: req.durationMs + 15_000 });
  return JSON.parse(stdout) as TrafficResult;
}

function rate(metric: Metric, r: TrafficResult): string {
  const perSecond = r.ops / (r.elapsedMs / 1000);
  return metric === 'bulk' ? `${((perSecond * 8) / 1e9).toFixed(2)} Gbit/s` : `${Math.round(perSecond)} ${metric === 'keepalive' ? 'req/s' : 'conn/s'}`;
}

/** HAProxy in TCP mode on h4, both ports to the task; its pid, or undefined when it is not installed. */
async function startHaproxy(lab: Lab, taskIp: string): Promise<number | undefined> {
  if ((await exec('haproxy', ['-v'], { allowFail: true }).catch(() => undefined))?.code !== 0) return undefined;
  const cfg = join(lab.hostDir('h4'), 'haproxy.cfg');
  const addr = lab.host('h4').address;
  writeFileSync(
    cfg,
    [
      'global',
      '  maxconn 8000',
      'defaults',
      '  mode tcp',
      '  timeout connect 3s',
      '  timeout client 30s',
      '  timeout server 30s',
      ...[HTTP_PORT, BULK_PORT].flatMap((p) => [`listen p${p}`, `  bind ${addr}:${p}`, `  server task ${taskIp}:${p - HTTP_PORT + 80}`]),
      '',
    ].join('\n'),
  );
  const proc = await lab.start('h4', 'haproxy', ['-db', '-f', cfg], { name: 'haproxy' });
  await waitUntil('haproxy listening', async () => (await lab.exec('h4', 'ss', ['-ltn'])).stdout.includes(`${addr}:${HTTP_PORT}`));
  return proc.pid;
}

/**
 * Time from a table change to its rules live: pushed to `everywhere` at once, as the dispatcher pushes a
 * version to every host's session, until the last host has it live (`live-everywhere.*`: from before the
 * bench serializes the table to the moment the last host's apply returned, its nftables transaction
 * committed or its proxies switched, by the wall clock all lab processes share; `live-last.*` splits
 * that host's time into push, parse and apply), and as each data plane's process measures its apply
 * (`apply.<kind>.*`). A 1,000-backend service created, then `APPLIES`
 * versions each replacing one backend; then, on `big` alone, a 10,000-backend one created, one of its
 * backends replaced, and the service removed.
 */
async function applyTimings(mesh: MeshLab, everywhere: MeshHost[], big: MeshHost[], add: (name: string, v: number) => void, note: (line: string) => void): Promise<void> {
  let version = 100;
  const svc: MeshService = { serviceId: 'svcbig', name: 'big', ports: [{ protocol: 'tcp', targetPort: 9000, publishedPort: 9000, mode: 'ingress' }], networks: [INGRESS], vipOctet: 101 };
  const tableOf = (n: number, replaced: number): EndpointTable => {
    const t = mesh.table(++version, [svc], []);
    t.tasks = Array.from({ length: n }, (_, i) => {
      const id = i === replaced ? n + version : i;
      return { taskId: `b${id}`, serviceId: svc.serviceId, name: `big.${id}`, nodeId: 'h2', addresses: { ingress: `10.${1 + (id >> 16)}.${(id >> 8) & 255}.${id & 255}/8` } };
    });
    return t;
  };
  const push = async (hosts: MeshHost[], table: EndpointTable, name: string) => {
    // Wall clock shared with the data plane processes: each says when the table's rules went live in it.
    const t0 = performance.timeOrigin + performance.now();
    const applied = await Promise.all(hosts.map((h) => h.apply(table)));
    applied.forEach((a, i) => add(`apply.${hosts[i]!.kind}.${name}`, a.ms));
    if (hosts.length < 2) return;
    const at = applied.map((a) => a.at!);
    const last = at.reduce((a, b) => (b.live! > a.live! ? b : a));
    add(`live-everywhere.${name}`, last.live! - t0);
    // Where the last host's time went: the push (serialized and sent, first bytes read), reading and parsing it, applying it.
    add(`live-last.push.${name}`, last.received - t0);
    add(`live-last.parse.${name}`, last.parsed - last.received);
    add(`live-last.apply.${name}`, last.live! - last.parsed);
  };
  await push(everywhere, tableOf(1000, -1), '1000.create');
  for (let i = 0; i < APPLIES; i++) await push(everywhere, tableOf(1000, i % 1000), '1000.replace1');
  try {
    await push(big, tableOf(10_000, -1), '10000.create');
    for (let i = 0; i < 5; i++) await push(big, tableOf(10_000, i), '10000.replace1');
    await push(big, mesh.table(++version, [], []), 'remove10000');
  } catch (err) {
    // A data plane that fails here is a finding of the bench, reported with the figures that were measured.
    note(`the 10,000-backend updates failed: ${errorMessage(err)}`);
  }
}
