import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sleep } from '../../../src/util/clock.js';
import { createLab, type Lab } from '../index.js';
import { MeshHost } from './mesh-host-client.js';
import { API, CLIENT, dumpingLogs, WEB } from './services.js';
import { APPNET, MeshLab, type MeshService, type MeshTask } from './topology.js';
import type { ProbeRequest, ProbeResult } from './probe.js';

const notRoot = process.getuid?.() !== 0 && 'needs root';
const names = (r: ProbeResult) => Object.keys(r.counts).sort();

const variants = [
  { kind: 'nftables', label: 'nftables, chosen by auto', start: 'auto', log: /data plane: nftables \(probe ruleset loads\)/ },
  { kind: 'nftables', label: 'nftables through the nft command', start: 'nftables', nftVia: 'nft', log: /"via":"nft"/ },
  { kind: 'userspace', label: 'userspace', start: 'userspace', log: /data plane: userspace \(chosen\)/ },
] as const;

for (const { kind, label, start, log, ...opts } of variants) {
  describe(`the mesh on one host (${label})`, { skip: notRoot }, () => {
    let lab: Lab;
    let mesh: MeshLab;
    let dp: MeshHost;
    let version = 0;
    const t: Record<string, MeshTask> = {};
    const apply = (serving: MeshTask[]) => dp.apply(mesh.table(++version, [WEB, API, CLIENT], serving));
    const all = () => [t.w1!, t.w2!, t.w3!, t.a1!, t.a2!];
    let addr: string;
    const step = dumpingLogs(() => lab);

    before(async () => {
      lab = await createLab({ hosts: 1 });
      mesh = new MeshLab(lab);
      await mesh.setUpHosts();
      for (const n of ['w1', 'w2', 'w3']) t[n] = await mesh.addTask({ name: n, service: WEB, host: 'h1', tcp: [80], udp: [53] });
      for (const n of ['a1', 'a2']) t[n] = await mesh.addTask({ name: n, service: API, host: 'h1', tcp: [90], udp: [53] });
      t.c1 = await mesh.addTask({ name: 'c1', service: CLIENT, host: 'h1', serve: false });
      dp = await MeshHost.start(lab, 'h1', start, opts);
      assert.equal(dp.kind, kind);
      assert.match(dp.process.output(), log);
      addr = lab.host('h1').address;
      await apply(all());
    });
    after(() => lab?.destroy());

    it('balances a published TCP and UDP port over every task, from outside and from 127.0.0.1', step(async () => {
      for (const proto of ['tcp', 'udp'] as const) {
        const port = proto === 'tcp' ? 8080 : 5353;
        const outside = await mesh.probe('lab', { mode: 'count', proto, targets: [{ host: addr, port }], n: 9 });
        assert.deepEqual(outside.counts, { w1: 3, w2: 3, w3: 3 }, `${proto} from outside: ${JSON.stringify(outside)}`);
        const local = await mesh.probe('h1', { mode: 'count', proto, targets: [{ host: '127.0.0.1', port }], n: 6 });
        assert.deepEqual(local.counts, { w1: 2, w2: 2, w3: 2 }, `${proto} from 127.0.0.1: ${JSON.stringify(local)}`);
      }
    }));

    it('publishes a host-mode port to the local tasks', step(async () => {
      const r = await mesh.probe('lab', { mode: 'count', proto: 'tcp', targets: [{ host: addr, port: 9090 }], n: 4 });
      assert.deepEqual(r.counts, { a1: 2, a2: 2 }, JSON.stringify(r));
    }));

    it("balances a task's traffic to another service's VIP, TCP and UDP", step(async () => {
      const vip = mesh.vip(API, APPNET);
      const tcp = await mesh.probe(t.c1!, { mode: 'count', proto: 'tcp', targets: [{ host: vip, port: 90 }], n: 6 });
      assert.deepEqual(tcp.counts, { a1: 3, a2: 3 }, JSON.stringify(tcp));
      const udp = await mesh.probe(t.c1!, { mode: 'count', proto: 'udp', targets: [{ host: vip, port: 53 }], n: 6 });
      assert.deepEqual(udp.counts, { a1: 3, a2: 3 }, JSON.stringify(udp));
    }));

    it('lets a task reach its own service VIP when it is the one picked (hairpin)', step(async () => {
      const r = await mesh.probe(t.w1!, { mode: 'count', proto: 'tcp', targets: [{ host: mesh.vip(WEB, APPNET), port: 80 }], n: 6 });
      assert.deepEqual(r.counts, { w1: 2, w2: 2, w3: 2 }, JSON.stringify(r));
    }));

    it('keeps an established TCP connection on a draining backend; new connections avoid it', step(async () => {
      await apply([t.w1!, t.a1!, t.a2!]);
      const held = await mesh.startProbe({ mode: 'hold', target: { host: addr, port: 8080 }, lines: 6, intervalMs: 250 });
      await held.greeted();
      await dp.apply(mesh.table(++version, [WEB, API, CLIENT], [t.w2!, t.w3!, t.a1!, t.a2!], [t.w1!]));
      const fresh = await mesh.probe('lab', { mode: 'count', proto: 'tcp', targets: [{ host: addr, port: 8080 }], n: 4 });
      assert.deepEqual(names(fresh), ['w2', 'w3'], JSON.stringify(fresh));
      const r = await held.result();
      assert.equal(r.failures, 0, JSON.stringify(r));
      assert.deepEqual(r.answers, ['w1', ...Array.from({ length: 6 }, (_, i) => `w1 line${i}`)]);
      await apply(all());
    }));

    it('moves a UDP flow off a removed backend', step(async () => {
      await apply([t.w1!, t.a1!, t.a2!]);
      const flow = { mode: 'udp-flow', target: { host: addr, port: 5353 }, localPort: 40053, n: 2 } as const;
      assert.deepEqual((await mesh.probe('lab', flow)).answers, ['w1', 'w1']);
      await apply([t.w2!, t.a1!, t.a2!]);
      assert.deepEqual((await mesh.probe('lab', flow)).answers, ['w2', 'w2']);
      await apply(all());
    }));

    if (kind === 'nftables') {
      it('re-balances a SYN pinned to a backend that is gone, but not one of a draining backend', step(async () => {
        // The ghost's address answers nothing: a SYN DNATed to it is retransmitted on the same conntrack entry.
        const dead = await mesh.addTask({ name: 'dead', service: WEB, host: 'h1', serve: false });
        const ghost: MeshTask = { ...dead, name: 'ghost', addresses: { ingress: '10.0.0.250', appnet: '10.0.1.250' } };
        const pinnedThen = async (next: () => Promise<unknown>, timeoutMs: number) => {
          await apply([ghost, t.a1!, t.a2!]);
          const pending = await mesh.startProbe({ mode: 'count', proto: 'tcp', targets: [{ host: addr, port: 8080 }], n: 1, timeoutMs });
          await pending.started();
          await sleep(300); // its SYN went to the ghost
          await next();
          return pending.result();
        };
        const gone = await pinnedThen(() => apply([t.w1!, t.a1!, t.a2!]), 8000);
        assert.deepEqual([gone.failures, names(gone)], [0, ['w1']], `gone: its flow cleared, the retransmitted SYN reaches w1: ${JSON.stringify(gone)}`);
        const draining = await pinnedThen(() => dp.apply(mesh.table(++version, [WEB, API, CLIENT], [t.w1!, t.a1!, t.a2!], [ghost])), 2500);
        assert.equal(draining.failures, 1, `draining: its flows are left alone: ${JSON.stringify(draining)}`);
        await apply(all());
      }));

      it("hides a task's refusal from the client once: the retransmitted SYN goes to another task; a second refusal reaches the client", step(async () => {
        // A task that died but is still in the table: its address answers, nothing listens there (a reset).
        const refuser = await mesh.addTask({ name: 'refuser', service: WEB, host: 'h1', serve: false });
        await apply([refuser, t.w1!, t.a1!, t.a2!]);
        for (const [from, host] of [['lab', addr], ['h1', '127.0.0.1']] as const) {
          // numgen takes turns: each connection goes to the refuser first, then its retransmitted SYN to w1.
          const r = await mesh.probe(from, { mode: 'count', proto: 'tcp', targets: [{ host, port: 8080 }], n: 2, timeoutMs: 5000 });
          assert.deepEqual([r.failures, r.counts], [0, { w1: 2 }], `from ${from}: ${JSON.stringify(r)}`);
        }
        await apply([refuser, t.a1!, t.a2!]);
        const started = Date.now();
        const alone = await mesh.probe('lab', { mode: 'count', proto: 'tcp', targets: [{ host: addr, port: 8080 }], n: 1, timeoutMs: 5000 });
        assert.match(alone.errors[0] ?? '', /ECONNREFUSED/, JSON.stringify(alone));
        assert.ok(Date.now() - started >= 1000, 'refused after the first retransmit, not at once');
        await apply(all());
      }));

      it('sends a client port a crashed task reset, when picked again, to another task', step(async () => {
        // A task that crashes under load: the kernel had completed handshakes it never accepted, and resets them as it dies.
        const crasher = await mesh.addTask({ name: 'crasher', service: WEB, host: 'h1', tcp: [80] });
        await apply([crasher, t.a1!, t.a2!]);
        process.kill(crasher.server!.pid, 'SIGSTOP');
        const port: ProbeRequest = { mode: 'count', proto: 'tcp', targets: [{ host: addr, port: 8080 }], n: 1, timeoutMs: 5000, localPort: 40_123 };
        const held = await mesh.startProbe(port);
        await held.started();
        await sleep(300); // in the crasher's accept queue
        await mesh.killServer(crasher);
        assert.match((await held.result()).errors[0] ?? '', /ECONNRESET/);
        // The kernel forgot the reset connection at once (its CLOSE entry would keep the DNAT to the crasher
        // for 10 s), so the port picked again right after the table, before any clean-up, is balanced anew.
        const flows = await lab.exec('h1', 'conntrack', ['-L', '-p', 'tcp', '--orig-port-src', String(port.localPort)], { allowFail: true });
        assert.equal(flows.stdout.trim(), '', 'no conntrack entry left for the reset connection');
        await apply([t.w1!, t.a1!, t.a2!]);
        const again = await mesh.probe('lab', port);
        assert.deepEqual([again.failures, names(again)], [0, ['w1']], JSON.stringify(again));
        await apply(all());
      }));
    }

    if (kind === 'userspace') {
      it('retries a refusing or silent backend, so no connection fails while a task answers', step(async () => {
        const dead = await mesh.addTask({ name: 'dead', service: WEB, host: 'h1', serve: false });
        const ghost: MeshTask = { ...dead, name: 'ghost', addresses: { ingress: '10.0.0.250', appnet: '10.0.1.250' } };
        await apply([t.w1!, dead, ghost, t.w2!, t.a1!, t.a2!]);
        const r = await mesh.probe('lab', { mode: 'count', proto: 'tcp', targets: [{ host: addr, port: 8080 }], n: 12, timeoutMs: 5000 });
        assert.equal(r.failures, 0, JSON.stringify(r));
        assert.deepEqual(names(r), ['w1', 'w2']);
        await apply(all());
      }));

      it('moves a connection off a backend that closes it before a byte passed', step(async () => {
        const hangup = await mesh.addTask({ name: 'hangup', service: WEB, host: 'h1', tcp: [80], answer: 'hangup' });
        await apply([hangup, t.w1!, t.a1!, t.a2!]);
        const r = await mesh.probe('lab', { mode: 'count', proto: 'tcp', targets: [{ host: addr, port: 8080 }], n: 6, timeoutMs: 5000 });
        assert.deepEqual([r.failures, names(r)], [0, ['w1']], JSON.stringify(r));
        await hangup.server?.stop();
        await apply(all());
      }));

      it('moves a connection nothing has passed on yet off a backend that leaves the table', step(async () => {
        // A mute task accepts and never answers, like a task whose host died under an open connection.
        const mute = await mesh.addTask({ name: 'mute', service: WEB, host: 'h1', tcp: [80], answer: 'mute' });
        await apply([mute, t.a1!, t.a2!]);
        const held = await mesh.startProbe({ mode: 'count', proto: 'tcp', targets: [{ host: addr, port: 8080 }], n: 1, timeoutMs: 10_000 });
        await held.started();
        await sleep(300); // connected to the mute task, waiting
        await apply([t.w1!, t.a1!, t.a2!]);
        const r = await held.result();
        assert.deepEqual([r.failures, names(r)], [0, ['w1']], JSON.stringify(r));
        await mute.server?.stop();
        await apply(all());
      }));

      it('leaves out a port another process holds and serves the rest', step(async () => {
        const holder = await lab.start('h1', process.execPath, ['-e', "require('net').createServer().listen(7070, () => console.log('ready'))"], { name: 'holder' });
        await holder.waitForOutput(/ready/);
        const other: MeshService = { ...CLIENT, serviceId: 'svcother', name: 'other', ports: [{ protocol: 'tcp', targetPort: 80, publishedPort: 7070, mode: 'ingress' }] };
        await dp.apply(mesh.table(++version, [WEB, API, CLIENT, other], all()));
        await dp.process.waitForOutput(/"listen":"tcp\/0\.0\.0\.0:7070".*cannot listen/);
        const r = await mesh.probe('lab', { mode: 'count', proto: 'tcp', targets: [{ host: addr, port: 8080 }], n: 3 });
        assert.deepEqual(r.counts, { w1: 1, w2: 1, w3: 1 }, JSON.stringify(r));
        await holder.stop();
        await apply(all());
      }));
    }

    it('removes its rules, VIP routes and listeners on close', step(async () => {
      await dp.close();
      const tables = await lab.exec('h1', 'nft', ['list', 'tables']);
      assert.doesNotMatch(tables.stdout, /shoal/);
      const routes = await lab.exec('h1', 'ip', ['route', 'show', 'table', 'local', 'proto', '83']);
      assert.equal(routes.stdout.trim(), '');
      const r = await mesh.probe('lab', { mode: 'count', proto: 'tcp', targets: [{ host: addr, port: 8080 }], n: 1 });
      assert.equal(r.failures, 1);
      assert.match(r.errors[0]!, /ECONNREFUSED/);
    }));
  });
}
