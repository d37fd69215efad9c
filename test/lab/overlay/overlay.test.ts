import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ISOLATION_TABLE } from '../../../src/mesh/overlay/isolation.js';
import { hostMac, taskMac } from '../../../src/mesh/overlay/names.js';
import { BUSYBOX_BIN, withLab, type Lab } from '../index.js';
import { OverlayLab, type LabTask } from './overlay-lab.js';

const APP = { networkId: 'app', vni: 4097, octet: 1 };
const OTHER = { networkId: 'other', vni: 4098, octet: 2 };
const INTERNAL = { networkId: 'int', vni: 4099, octet: 3, internal: true };

/** `ip link` names of Shoal's overlay devices in a host. */
async function overlayDevices(lab: Lab, host: string): Promise<string[]> {
  const links = JSON.parse((await lab.exec(host, 'ip', ['-j', 'link', 'show'])).stdout) as { ifname: string }[];
  return links.map((l) => l.ifname).filter((n) => /^shoal(vx)?\d+$/.test(n)).sort();
}

/** The VXLAN device's own forwarding entries: MAC → destination. */
async function fdb(lab: Lab, host: string, vni: number): Promise<Map<string, string>> {
  const entries = JSON.parse((await lab.exec(host, 'bridge', ['-j', 'fdb', 'show', 'dev', `shoalvx${vni}`])).stdout) as { mac: string; dst?: string; flags: string[] }[];
  return new Map(entries.filter((e) => e.flags.includes('self') && e.dst).map((e) => [e.mac, e.dst!]));
}

async function neighbours(lab: Lab, host: string, vni: number): Promise<Map<string, string>> {
  const entries = JSON.parse((await lab.exec(host, 'ip', ['-j', 'neigh', 'show', 'dev', `shoalvx${vni}`])).stdout) as { dst: string; lladdr: string }[];
  return new Map(entries.map((e) => [e.dst, e.lladdr]));
}

const ms = (t0: number): number => Math.round((performance.now() - t0) * 10) / 10;

const UDP_ECHO = `const s = require('dgram').createSocket('udp4'); s.on('message', (m, r) => s.send(m, r.port, r.address)); s.bind(5353, () => console.log('ready'))`;
const udpAsk = (to: string, bytes: number): string =>
  `const s = require('dgram').createSocket('udp4'); s.on('message', (m) => { console.log(m.length); process.exit(0) }); s.send(Buffer.alloc(${bytes}, 120), 5353, '${to}'); setTimeout(() => process.exit(1), 2000)`;

test('overlay on three hosts: reachability over VXLAN, MTU, isolation, updates from the table, leftovers, close', async (t) => {
  await withLab({ hosts: 3 }, async (lab) => {
    const ol = new OverlayLab(lab, [APP, OTHER, INTERNAL]);
    const hosts = ['h1', 'h2', 'h3'];
    for (const h of hosts) ol.startOverlay(h);

    // A task being started attaches its networks before any table lists it (the agent's path).
    const bridge = await ol.overlay('h1').attach('a1', APP.vni, `${ol.hostAddress(APP, 'h1')}/24`);
    assert.deepEqual(bridge, { name: 'shoal4097', mtu: 1450 });
    const a1 = await ol.addTask('a1', 'h1', 11, ['app']);
    await Promise.all([ol.overlay('h2').attach('a2', APP.vni, `${ol.hostAddress(APP, 'h2')}/24`), ol.overlay('h3').attach('a3', APP.vni, `${ol.hostAddress(APP, 'h3')}/24`)]);
    await ol.overlay('h1').attach('b1', OTHER.vni, `${ol.hostAddress(OTHER, 'h1')}/24`);
    await ol.overlay('h2').attach('i2', INTERNAL.vni, `${ol.hostAddress(INTERNAL, 'h2')}/24`);
    await ol.overlay('h3').attach('i3', INTERNAL.vni, `${ol.hostAddress(INTERNAL, 'h3')}/24`);
    const a2 = await ol.addTask('a2', 'h2', 12, ['app']);
    const a3 = await ol.addTask('a3', 'h3', 13, ['app']);
    const b1 = await ol.addTask('b1', 'h1', 21, ['other']);
    const i2 = await ol.addTask('i2', 'h2', 32, ['int']);
    const i3 = await ol.addTask('i3', 'h3', 33, ['int']);
    const serving: LabTask[] = [a1, a2, a3, b1, i2, i3];
    let version = 1;
    await Promise.all(hosts.map((h) => ol.overlay(h).apply(ol.table(version, serving))));
    // The tasks are in the table now: the pins can go without the networks leaving.
    for (const task of serving) await ol.overlay(task.host).detach(task.id);

    await t.test('devices: bridge with the host MAC and address, VXLAN nolearning proxy on 4789 with MTU 1450', async () => {
      assert.deepEqual(await overlayDevices(lab, 'h1'), ['shoal4097', 'shoal4098', 'shoalvx4097', 'shoalvx4098']);
      const [vx] = JSON.parse((await lab.exec('h1', 'ip', ['-j', '-d', 'link', 'show', 'shoalvx4097'])).stdout);
      assert.deepEqual([vx.mtu, vx.master, vx.linkinfo.info_data.id, vx.linkinfo.info_data.port, vx.linkinfo.info_data.learning, vx.linkinfo.info_data.proxy], [1450, 'shoal4097', 4097, 4789, false, true]);
      assert.equal(vx.linkinfo.info_data.local, lab.host('h1').address);
      const [br] = JSON.parse((await lab.exec('h1', 'ip', ['-j', 'addr', 'show', 'shoal4097'])).stdout);
      assert.equal(br.address, hostMac('10.0.1.2'));
      assert.ok(br.addr_info.some((a: { local: string }) => a.local === '10.0.1.2'));
      assert.equal((await lab.exec('h1', 'sysctl', ['-n', 'net.ipv4.ip_forward', 'net.bridge.bridge-nf-call-iptables', 'net.ipv4.conf.shoal4097.rp_filter'])).stdout, '1\n1\n1\n');
    });

    await t.test('entries: every remote task and host, no flooding entry, nothing for local endpoints', async () => {
      const entries = await fdb(lab, 'h1', APP.vni);
      assert.deepEqual(
        [...entries].sort(),
        [
          [hostMac('10.0.1.3'), lab.host('h2').address],
          [hostMac('10.0.1.4'), lab.host('h3').address],
          [taskMac('10.0.1.12'), lab.host('h2').address],
          [taskMac('10.0.1.13'), lab.host('h3').address],
        ].sort(),
      );
      for (const h of hosts) {
        const all = (await lab.exec(h, 'bridge', ['fdb', 'show'])).stdout;
        assert.ok(!all.includes('00:00:00:00:00:00'), `${h} has no flooding entry`);
      }
      assert.deepEqual([...(await neighbours(lab, 'h1', APP.vni)).keys()].sort(), ['10.0.1.12', '10.0.1.13', '10.0.1.3', '10.0.1.4']);
    });

    await t.test('tasks on different hosts reach each other by IP: ping, TCP (httpd), UDP of 1400 bytes', async () => {
      assert.ok(await ol.ping(a1, '10.0.1.12'), 'a1 -> a2');
      assert.ok(await ol.ping(a1, '10.0.1.13'), 'a1 -> a3');
      assert.ok(await ol.ping(a3, '10.0.1.11'), 'a3 -> a1');
      assert.ok(await ol.ping(i2, '10.0.3.33'), 'i2 -> i3 on the internal network');
      assert.ok(await ol.ping(a1, '10.0.1.3'), "a1 -> h2's own address");
      const www = lab.hostDir('h2');
      writeFileSync(join(www, 'name'), 'a2\n');
      await lab.start('h2', 'nsenter', [`--net=/run/netns/${a2.netns}`, '--', BUSYBOX_BIN, 'httpd', '-f', '-p', '80', '-h', www], { name: 'httpd-a2' });
      const udp = await lab.start('h3', 'nsenter', [`--net=/run/netns/${a3.netns}`, '--', process.execPath, '-e', UDP_ECHO], { name: 'udp-a3' });
      await udp.waitForOutput(/ready/);
      let page = '';
      for (let i = 0; i < 20 && !page; i++) page = (await ol.inTask(a1, BUSYBOX_BIN, ['wget', '-q', '-O', '-', 'http://10.0.1.12/name'])).stdout;
      assert.equal(page.trim(), 'a2');
      const echo = await ol.inTask(a1, process.execPath, ['-e', udpAsk('10.0.1.13', 1400)]);
      assert.equal(echo.stdout.trim(), '1400', '1400-byte UDP across hosts');
    });

    await t.test('MTU: DF pings of 1450 bytes pass across hosts, 1451 do not', async () => {
      assert.ok(await ol.ping(a1, '10.0.1.13', 1422), '1422 + 28 = 1450 bytes with DF');
      assert.ok(await ol.ping(a3, '10.0.1.11', 1422));
      assert.ok(!(await ol.ping(a1, '10.0.1.13', 1423)), '1451 bytes with DF');
    });

    await t.test('isolation: a task on another network cannot reach appnet tasks, on its host or elsewhere', async () => {
      assert.ok(await ol.ping(b1, '10.0.2.2'), 'b1 reaches its host');
      assert.ok(!(await ol.ping(b1, '10.0.1.11')), 'b1 -> a1 (same host, other bridge)');
      assert.ok(!(await ol.ping(b1, '10.0.1.12')), 'b1 -> a2 (other host)');
      assert.ok(!(await ol.ping(a1, '10.0.2.21')), 'a1 -> b1');
      // Without the isolation table the host would route between its bridges: the rules are what blocks.
      const saved = (await lab.exec('h1', 'nft', ['list', 'table', 'inet', ISOLATION_TABLE])).stdout;
      await lab.exec('h1', 'nft', ['delete', 'table', 'inet', ISOLATION_TABLE]);
      assert.ok(await ol.ping(b1, '10.0.1.11'), 'b1 -> a1 routed by h1 once the table is gone');
      await lab.exec('h1', 'nft', ['-f', '-'], { input: saved });
      assert.ok(!(await ol.ping(b1, '10.0.1.11')), 'blocked again');
    });

    await t.test('internal network: no route out, none in; a normal network is routed', async () => {
      const h2 = lab.host('h2').address;
      await lab.exec('lab', 'ip', ['route', 'add', '10.0.0.0/16', 'via', h2]);
      const outside = lab.labHost.address;
      assert.ok(await ol.ping(a2, outside), 'a2 (appnet) -> outside through h2');
      assert.ok(!(await ol.ping(i2, outside)), 'i2 (internal) -> outside');
      assert.equal((await lab.exec('lab', 'ping', ['-n', '-c', '1', '-W', '1', '10.0.3.32'], { allowFail: true })).code === 0, false, 'outside -> i2');
      assert.ok(!(await ol.ping(i2, '10.0.1.12')), 'i2 -> a2 on the same host');
    });

    await t.test('updates: a task added or removed reaches every host\'s entries; time from apply() to entries present', async () => {
      const a4 = await ol.addTask('a4', 'h3', 14, ['app']);
      serving.push(a4);
      const t0 = performance.now();
      const perHost = await Promise.all(
        hosts.map(async (h) => {
          const start = performance.now();
          await ol.overlay(h).apply(ol.table(++version, serving));
          return ms(start);
        }),
      );
      const all = ms(t0);
      for (const h of ['h1', 'h2']) assert.equal((await fdb(lab, h, APP.vni)).get(taskMac('10.0.1.14')), lab.host('h3').address, `${h} knows a4`);
      t.diagnostic(`task added: apply() until entries present: ${perHost.join(' / ')} ms on h1/h2/h3, ${all} ms for all three`);
      assert.ok(await ol.ping(a1, '10.0.1.14'), 'a1 -> the new task a4');

      const stillServing = serving.filter((x) => x.id !== 'a4');
      const t1 = performance.now();
      await Promise.all(hosts.map((h) => ol.overlay(h).apply(ol.table(++version, stillServing))));
      const removedMs = ms(t1);
      for (const h of ['h1', 'h2']) {
        assert.ok(!(await fdb(lab, h, APP.vni)).has(taskMac('10.0.1.14')), `${h} forgot a4's forwarding entry`);
        assert.ok(!(await neighbours(lab, h, APP.vni)).has('10.0.1.14'), `${h} forgot a4's neighbour entry`);
      }
      t.diagnostic(`task removed: ${removedMs} ms for all three hosts`);

      // 150 endpoints at once (a service scaled up on h3): still one ip and one bridge run per host.
      const extra = Array.from({ length: 150 }, (_, i) => ({ taskId: `x${i}`, serviceId: 'svc', name: `svc.${i}`, nodeId: 'h3', addresses: { app: `10.0.1.${100 + i}/24` } }));
      const t2 = performance.now();
      await ol.overlay('h1').apply(ol.table(++version, stillServing, extra));
      const bulkMs = ms(t2);
      assert.equal((await fdb(lab, 'h1', APP.vni)).size, 2 + 2 + 150);
      const t3 = performance.now();
      await ol.overlay('h1').apply(ol.table(++version, stillServing));
      t.diagnostic(`150 endpoints added on h1: ${bulkMs} ms; removed: ${ms(t3)} ms`);
      assert.equal((await fdb(lab, 'h1', APP.vni)).size, 4);
      serving.splice(0, serving.length, ...stillServing);
      for (const h of ['h2', 'h3']) await ol.overlay(h).apply(ol.table(version, serving));
      assert.ok(perHost.every((x) => x < 5000) && removedMs < 5000, 'generous bound: updates take milliseconds, not seconds');
    });

    await t.test('a network leaves a host with its last task; a pinned network comes and goes with attach/detach', async () => {
      await ol.overlay('h1').apply(ol.table(++version, serving.filter((x) => x.id !== 'b1')));
      assert.deepEqual(await overlayDevices(lab, 'h1'), ['shoal4097', 'shoalvx4097']);
      await ol.overlay('h1').attach('t9', 4100, '10.0.9.2/24');
      assert.deepEqual(await overlayDevices(lab, 'h1'), ['shoal4097', 'shoal4100', 'shoalvx4097', 'shoalvx4100']);
      await ol.overlay('h1').detach('t9');
      assert.deepEqual(await overlayDevices(lab, 'h1'), ['shoal4097', 'shoalvx4097']);
    });

    await t.test('a daemon that died: a new Overlay over the leftovers converges without recreating the bridge', async () => {
      const h1 = lab.host('h1').address;
      const ifindex = async () => JSON.parse((await lab.exec('h2', 'ip', ['-j', 'link', 'show', 'shoal4097'])).stdout)[0].ifindex as number;
      const before = await ifindex();
      // The old Overlay is dropped without close(); the kernel keeps what it made. Then damage it.
      await lab.exec('h2', 'bridge', ['fdb', 'append', '00:00:00:00:00:00', 'dev', 'shoalvx4097', 'dst', '192.0.2.9', 'self', 'permanent']);
      await lab.exec('h2', 'bridge', ['fdb', 'del', taskMac('10.0.1.11'), 'dev', 'shoalvx4097', 'self']);
      await lab.exec('h2', 'ip', ['neigh', 'replace', '10.0.1.77', 'lladdr', taskMac('10.0.1.77'), 'dev', 'shoalvx4097', 'nud', 'permanent']);
      await lab.exec('h2', 'ip', ['link', 'add', 'shoalvx4300', 'type', 'vxlan', 'id', '4300', 'dstport', '4789', 'local', lab.host('h2').address]);
      const fresh = ol.startOverlay('h2');
      // The restarted agent re-attaches its surviving tasks one by one before a table comes: nothing is removed yet.
      await fresh.attach('a2', APP.vni, `${ol.hostAddress(APP, 'h2')}/24`);
      assert.deepEqual(await overlayDevices(lab, 'h2'), ['shoal4097', 'shoal4099', 'shoalvx4097', 'shoalvx4099', 'shoalvx4300'], 'i2\'s network is kept until it is attached or a table comes');
      assert.ok(await ol.ping(i2, '10.0.3.33'), 'i2 still reaches i3 meanwhile');
      await fresh.attach('i2', INTERNAL.vni, `${ol.hostAddress(INTERNAL, 'h2')}/24`);
      await fresh.apply(ol.table(version, serving));
      assert.equal(await ifindex(), before, 'the bridge (with the tasks on it) was kept');
      assert.deepEqual(await overlayDevices(lab, 'h2'), ['shoal4097', 'shoal4099', 'shoalvx4097', 'shoalvx4099'], 'the stray device is gone');
      const entries = await fdb(lab, 'h2', APP.vni);
      assert.equal(entries.get(taskMac('10.0.1.11')), h1, 'the missing entry is back');
      assert.ok(!entries.has('00:00:00:00:00:00'), 'the flooding entry is gone');
      assert.ok(!(await neighbours(lab, 'h2', APP.vni)).has('10.0.1.77'), 'the stray neighbour is gone');
      assert.ok(await ol.ping(a2, '10.0.1.11'), 'a2 on h2 reaches a1 again');
    });

    await t.test('close() removes every device and the isolation table', async () => {
      for (const h of hosts) {
        await ol.overlay(h).close();
        assert.deepEqual(await overlayDevices(lab, h), [], h);
        assert.ok(!(await lab.exec(h, 'nft', ['list', 'tables'])).stdout.includes(ISOLATION_TABLE), `${h} has no isolation table`);
      }
      await assert.rejects(ol.overlay('h1').apply(ol.table(++version, serving)), /closed/);
    });
  });
});
