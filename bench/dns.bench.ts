import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import dnsPacket from 'dns-packet';
import { exec } from '../src/util/exec.js';
import { serializeMessage } from '../src/dns/wire/serialize.js';
import { query } from '../test/unit/dns/client.js';
import { sampleTable } from '../test/unit/dns/fixtures.js';
import { HandlerHarness } from '../test/unit/dns/handler-harness.js';
import { ratio, summarize } from './stats.js';
import type { BenchSuite, Summary } from './suite.js';
import { watchYoungGc, type YoungGc } from './young-gc.js';

const ROUNDS = Number(process.env.BENCH_DNS_ROUNDS ?? 3);
const SECONDS = Number(process.env.BENCH_DNS_SECONDS ?? 3);
const IN_FLIGHT = 100;
const CODEC_OPS = 10_000;
const HOST = '127.0.0.1';
const DNS_HOST = fileURLToPath(new URL('../test/lab/dns/dns-host.js', import.meta.url));
/** The cheapest DNS "server" Node can be: the query sent back with QR set, on the same dgram path. */
const ECHO = `const s = require('dgram').createSocket('udp4'); s.on('message', (m, r) => { m[2] |= 0x80; s.send(m, r.port, r.address); }); s.bind(+process.argv[1], '${HOST}', () => console.log('ready'));`;

interface Target {
  name: string;
  port: number;
  start(dir: string): ChildProcess;
  /** Shoal's: run with --trace-gc, its young-generation collections counted per round. */
  gc?: YoungGc;
}

/**
 * Service-name lookups (`web`, `tasks.web`) over UDP on loopback, driven by dnsperf with 100
 * queries in flight, against Shoal's server (in its own process; batched UDP as shipped, and with
 * the dgram fallback), a Node dgram UDP echo (the floor of any server on Node's socket path) and
 * dnsmasq serving the same names from a hosts file (a C peer; skipped if not installed). Rounds
 * interleave the targets. Shoal runs with --trace-gc: what its young generation collected per query
 * (its allocation rate) and each scavenge's pause. Then the codec choice: Shoal's answer path (parse, look up, encode)
 * against dns-packet decode + encode.
 */
export const suite: BenchSuite = {
  name: 'dns',
  description: `DNS service lookups, dnsperf -q ${IN_FLIGHT} over UDP, ${ROUNDS}×${SECONDS} s per target: Shoal (batched, dgram) vs Node UDP echo vs dnsmasq; codec vs dns-packet`,
  async run(ctx) {
    if ((await exec('sh', ['-c', 'command -v dnsperf'], { allowFail: true })).code !== 0) throw new Error('dnsperf is needed: apt-get install dnsperf');
    const withDnsmasq = (await exec('sh', ['-c', 'command -v dnsmasq'], { allowFail: true })).code === 0;
    const dir = mkdtempSync(join(tmpdir(), 'shoal-dns-bench-'));
    const children: ChildProcess[] = [];
    try {
      const table = sampleTable();
      // The load generator's address is a task on appnet, so it sees the service names.
      table.tasks.push({ taskId: 'lo', serviceId: 'none', name: 'probe.1.lo', nodeId: 'n1', addresses: { net_app: `${HOST}/8` } });
      writeFileSync(join(dir, 'table.json'), JSON.stringify(table));
      writeFileSync(join(dir, 'resolv.conf'), `nameserver ${HOST}\n`);
      writeFileSync(join(dir, 'hosts'), '10.0.1.5 web\n10.0.1.11 tasks.web\n10.0.1.12 tasks.web\n10.0.1.13 tasks.web\n');
      writeFileSync(join(dir, 'queries'), 'web A\ntasks.web A\n');
      const targets: Target[] = [
        { name: 'echo', port: 15355, start: () => spawn(process.execPath, ['-e', ECHO, '15355']) },
        { name: 'shoal', port: 15354, start: (d) => spawn(process.execPath, ['--trace-gc', DNS_HOST, 'server', HOST, '15354', join(d, 'resolv.conf'), join(d, 'table.json'), 'batched']) },
        { name: 'shoalDgram', port: 15357, start: (d) => spawn(process.execPath, ['--trace-gc', DNS_HOST, 'server', HOST, '15357', join(d, 'resolv.conf'), join(d, 'table.json'), 'dgram']) },
      ];
      if (withDnsmasq) {
        const args = ['--keep-in-foreground', '--port=15356', `--listen-address=${HOST}`, '--bind-interfaces', '--no-resolv', '--no-hosts', `--addn-hosts=${join(dir, 'hosts')}`, '--pid-file=', '--user=root', '--log-facility=-'];
        targets.push({ name: 'dnsmasq', port: 15356, start: () => spawn('dnsmasq', args) });
      }
      for (const t of targets) {
        const child = t.start(dir);
        if (t.name.startsWith('shoal')) t.gc = watchYoungGc(child);
        children.push(await started(child, t));
      }
      const qps: Record<string, number[]> = {};
      const p99: Record<string, number[]> = {};
      const latency: Record<string, number[]> = {};
      const gcBytes: Record<string, number[]> = {};
      const gcPauses: Record<string, number[]> = {};
      for (let round = 1; round <= ROUNDS; round++) {
        for (const t of targets) {
          const gcBefore = t.gc && { freed: t.gc.freedBytes, pauses: t.gc.pausesMs.length };
          const r = await dnsperf(t.port, join(dir, 'queries'));
          (qps[t.name] ??= []).push(r.qps);
          (p99[t.name] ??= []).push(r.p99);
          latency[t.name] = (latency[t.name] ?? []).concat(r.latencies);
          let gcLine = '';
          if (t.gc && gcBefore) {
            const perQuery = (t.gc.freedBytes - gcBefore.freed) / r.completed;
            const pauses = t.gc.pausesMs.slice(gcBefore.pauses);
            (gcBytes[t.name] ??= []).push(perQuery);
            gcPauses[t.name] = (gcPauses[t.name] ?? []).concat(pauses);
            gcLine = `, ${Math.round(perQuery)} bytes/query collected young, ${pauses.length} scavenges (longest ${Math.max(0, ...pauses)} ms)`;
          }
          ctx.progress(`round ${round} ${t.name}: ${Math.round(r.qps)} queries/s, p99 ${r.p99.toFixed(2)} ms, lost ${r.lost}${gcLine}`);
        }
      }
      const figures: Record<string, Summary> = {};
      for (const t of targets) {
        figures[`${t.name}.msPer1kQueries`] = summarize(qps[t.name]!.map((q) => 1e6 / q));
        figures[`${t.name}.p99`] = summarize(p99[t.name]!);
        figures[`${t.name}.latency`] = summarize(latency[t.name]!);
        // Not milliseconds: bytes per query that young-generation GC collected, per round; then each scavenge's pause (ms).
        if (gcBytes[t.name]) figures[`${t.name}.gcBytesPerQuery`] = summarize(gcBytes[t.name]!);
        if (gcPauses[t.name]?.length) figures[`${t.name}.scavengeMs`] = summarize(gcPauses[t.name]!);
      }
      const codec = codecTimes();
      figures['codec.shoal'] = summarize(codec.shoal);
      figures['codec.dnsPacket'] = summarize(codec.dnsPacket);
      const ratios: Record<string, number> = {
        'shoal.msPer1kQueries/echo.msPer1kQueries': ratio(figures['shoal.msPer1kQueries']!, figures['echo.msPer1kQueries']!),
        'shoal.p99/echo.p99': ratio(figures['shoal.p99']!, figures['echo.p99']!),
        'shoal.msPer1kQueries/shoalDgram.msPer1kQueries': ratio(figures['shoal.msPer1kQueries']!, figures['shoalDgram.msPer1kQueries']!),
        'codec.dnsPacket/codec.shoal': ratio(figures['codec.dnsPacket']!, figures['codec.shoal']!),
      };
      if (withDnsmasq) {
        ratios['shoal.msPer1kQueries/dnsmasq.msPer1kQueries'] = ratio(figures['shoal.msPer1kQueries']!, figures['dnsmasq.msPer1kQueries']!);
        ratios['shoal.p99/dnsmasq.p99'] = ratio(figures['shoal.p99']!, figures['dnsmasq.p99']!);
      }
      for (const t of targets) ctx.progress(`${t.name}: median ${Math.round(1e6 / figures[`${t.name}.msPer1kQueries`]!.median)} queries/s, median p99 ${figures[`${t.name}.p99`]!.median} ms`);
      return { figures, ratios };
    } finally {
      for (const c of children) c.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

/** Waits for a target to answer a query. */
async function started(child: ChildProcess, t: Target): Promise<ChildProcess> {
  child.on('error', () => {});
  for (let i = 0; i < 50; i++) {
    const res = await exec('dig', [`@${HOST}`, '-p', String(t.port), '+time=1', '+tries=1', 'web'], { allowFail: true }).catch(() => undefined);
    if (res?.stdout.includes('status: NOERROR')) return child;
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill();
  throw new Error(`${t.name} did not start answering on port ${t.port}`);
}

/** One dnsperf run; per-query latencies from its verbose lines (`> NOERROR web A 0.000123`). */
async function dnsperf(port: number, queries: string): Promise<{ qps: number; p99: number; lost: number; completed: number; latencies: number[] }> {
  const { stdout } = await exec('dnsperf', ['-s', HOST, '-p', String(port), '-d', queries, '-l', String(SECONDS), '-q', String(IN_FLIGHT), '-v']);
  const latencies: number[] = [];
  for (const m of stdout.matchAll(/^> \S+ \S+ \S+ ([\d.]+)$/gm)) latencies.push(Number(m[1]) * 1000);
  const qps = Number(/Queries per second:\s+([\d.]+)/.exec(stdout)?.[1]);
  const lost = Number(/Queries lost:\s+(\d+)/.exec(stdout)?.[1]);
  const completed = Number(/Queries completed:\s+(\d+)/.exec(stdout)?.[1]);
  if (!qps || latencies.length === 0) throw new Error(`dnsperf gave no figures:\n${stdout.slice(-2000)}`);
  return { qps, p99: summarizeP99(latencies), lost, completed, latencies };
}

function summarizeP99(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.ceil(0.99 * sorted.length) - 1)]! * 1000) / 1000;
}

/** ms per CODEC_OPS answers to `tasks.web` (3 addresses): Shoal's handler vs dns-packet, 10 samples each, interleaved. */
function codecTimes(): { shoal: number[]; dnsPacket: number[] } {
  const h = new HandlerHarness(sampleTable());
  const q = serializeMessage(query('tasks.web'));
  const addrs = ['10.0.1.11', '10.0.1.12', '10.0.1.13'];
  const shoal: number[] = [];
  const dnsPacketTimes: number[] = [];
  for (let i = 0; i <= 10; i++) {
    let t0 = performance.now();
    for (let n = 0; n < CODEC_OPS; n++) h.handler.handle(q, '10.0.1.11', 'udp');
    const a = performance.now() - t0;
    t0 = performance.now();
    for (let n = 0; n < CODEC_OPS; n++) {
      const m = dnsPacket.decode(q);
      const name = m.questions![0]!.name;
      dnsPacket.encode({ id: m.id, type: 'response', flags: 0x8580, questions: m.questions, answers: addrs.map((data) => ({ name, type: 'A' as const, ttl: 5, data })) });
    }
    const b = performance.now() - t0;
    if (i === 0) continue; // warm-up
    shoal.push(a);
    dnsPacketTimes.push(b);
  }
  return { shoal, dnsPacket: dnsPacketTimes };
}
