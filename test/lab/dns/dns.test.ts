import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EndpointTable } from '../../../src/cluster/endpoints/types.js';
import { exec } from '../../../src/util/exec.js';
import { BUSYBOX_BIN, withLab, type Lab, type LabProcess } from '../index.js';
import { addNetns, addVethBetween, ipIn, netnsPath } from '../netns.js';
import { sampleTable } from '../../unit/dns/fixtures.js';

const HELPER = fileURLToPath(new URL('./dns-host.js', import.meta.url));
const hasDig = (await exec('sh', ['-c', 'command -v dig'], { allowFail: true })).code === 0;

/**
 * Two lab hosts serving the sample table (test/unit/dns/fixtures.ts): h1 has appnet (10.0.1.2)
 * and backnet (10.0.2.2) bridges, h2 appnet (10.0.1.3); task namespaces hang off them with the
 * table's addresses: web.1 and cache.1 on h1, web.2 on h2. A fake upstream resolver runs in the
 * lab namespace and is the hosts' resolv.conf nameserver.
 */
interface DnsLab {
  lab: Lab;
  servers: Record<'h1' | 'h2', LabProcess>;
  tablePath: string;
}

async function addBridge(lab: Lab, host: string, name: string, cidr: string): Promise<void> {
  const ns = lab.host(host).netns;
  await ipIn(ns, ['link', 'add', name, 'type', 'bridge']);
  await ipIn(ns, ['addr', 'add', cidr, 'dev', name]);
  await ipIn(ns, ['link', 'set', name, 'up']);
}

/** A task namespace `${prefix}-<task>` on `bridge` of `host`, its resolver the host's address. */
async function addTask(lab: Lab, host: string, task: string, bridge: string, cidr: string, gateway: string): Promise<string> {
  const ns = `${lab.prefix}-${task}`;
  await addNetns(ns);
  await addVethBetween(lab.host(host).netns, `v${task}`, ns, 'eth0');
  await ipIn(lab.host(host).netns, ['link', 'set', `v${task}`, 'master', bridge, 'up']);
  await ipIn(ns, ['addr', 'add', cidr, 'dev', 'eth0']);
  await ipIn(ns, ['link', 'set', 'eth0', 'up']);
  await ipIn(ns, ['route', 'add', 'default', 'via', gateway]);
  return ns;
}

async function setUp(lab: Lab): Promise<DnsLab> {
  await addBridge(lab, 'h1', 'br-app', '10.0.1.2/24');
  await addBridge(lab, 'h1', 'br-back', '10.0.2.2/24');
  await addBridge(lab, 'h2', 'br-app', '10.0.1.3/24');
  await addTask(lab, 'h1', 'web1', 'br-app', '10.0.1.11/24', '10.0.1.2');
  await addTask(lab, 'h1', 'cache1', 'br-back', '10.0.2.31/24', '10.0.2.2');
  await addTask(lab, 'h2', 'web2', 'br-app', '10.0.1.12/24', '10.0.1.3');
  const upstream = await lab.start('lab', process.execPath, [HELPER, 'upstream', lab.labHost.address, '53'], { name: 'upstream' });
  await upstream.waitForOutput(/upstream on/);
  const resolvConf = join(lab.dir, 'resolv.conf');
  writeFileSync(resolvConf, `nameserver ${lab.labHost.address}\n`);
  const tablePath = join(lab.dir, 'table.json');
  writeFileSync(tablePath, JSON.stringify(sampleTable(10)));
  const start = async (host: 'h1' | 'h2', listen: string): Promise<LabProcess> => {
    const p = await lab.start(host, process.execPath, [HELPER, 'server', listen, '53', resolvConf, tablePath], { name: 'dns' });
    await p.waitForOutput(/applied 10/);
    return p;
  };
  return { lab, tablePath, servers: { h1: await start('h1', '10.0.1.2,10.0.2.2'), h2: await start('h2', '10.0.1.3') } };
}

/** Runs a command in a task namespace. */
async function inTask(lab: Lab, task: string, cmd: string, args: string[]): Promise<string> {
  const res = await exec('nsenter', [`--net=${netnsPath(`${lab.prefix}-${task}`)}`, '--', cmd, ...args], { allowFail: true });
  return res.stdout + res.stderr;
}

const nslookup = (d: DnsLab, task: string, name: string, server: string): Promise<string> => inTask(d.lab, task, BUSYBOX_BIN, ['nslookup', name, server]);
const dig = (d: DnsLab, task: string, server: string, ...args: string[]): Promise<string> => inTask(d.lab, task, 'dig', [`@${server}`, '+time=2', '+tries=1', ...args]);
/** IPv4 addresses in nslookup's answer section, in order (the server's own address excluded). */
const addressesIn = (out: string): string[] => [...out.split(/\n\s*\n/).slice(1).join('\n').matchAll(/Address:\s*(\d+\.\d+\.\d+\.\d+)\s*$/gm)].map((m) => m[1]!);

async function applyTable(d: DnsLab, table: EndpointTable): Promise<void> {
  writeFileSync(d.tablePath, JSON.stringify(table));
  for (const p of Object.values(d.servers)) process.kill(p.pid, 'SIGHUP');
  for (const p of Object.values(d.servers)) await p.waitForOutput(new RegExp(`applied ${table.version}`), 5000);
}

test('DNS in the lab: busybox nslookup and dig in task namespaces against the servers of two hosts', async (t) => {
  await withLab({ hosts: 2 }, async (lab) => {
    const d = await setUp(lab);

    await t.test('nslookup web gives the VIP; tasks.web the three task IPs, in rotating order', async () => {
      assert.deepEqual(addressesIn(await nslookup(d, 'web1', 'web', '10.0.1.2')), ['10.0.1.5']);
      const first = addressesIn(await nslookup(d, 'web1', 'tasks.web', '10.0.1.2'));
      const second = addressesIn(await nslookup(d, 'web1', 'tasks.web', '10.0.1.2'));
      assert.deepEqual([...first].sort(), ['10.0.1.11', '10.0.1.12', '10.0.1.13']);
      assert.deepEqual([...second].sort(), [...first].sort());
      assert.notDeepEqual(second, first);
      assert.deepEqual(addressesIn(await nslookup(d, 'web2', 'tasks.web', '10.0.1.3')).sort(), ['10.0.1.11', '10.0.1.12', '10.0.1.13'], 'from h2');
    });

    await t.test('a task on another network gets NXDOMAIN for web, and sees its own names', async () => {
      assert.match(await nslookup(d, 'cache1', 'web', '10.0.2.2'), /NXDOMAIN/);
      assert.deepEqual(addressesIn(await nslookup(d, 'cache1', 'cache', '10.0.2.2')), ['10.0.2.5']);
      assert.match(await nslookup(d, 'web1', 'cache', '10.0.1.2'), /NXDOMAIN/);
    });

    await t.test('example.invalid and an external name are forwarded to the host resolver', async () => {
      assert.match(await nslookup(d, 'web1', 'example.invalid', '10.0.1.2'), /NXDOMAIN/);
      assert.deepEqual(addressesIn(await nslookup(d, 'web1', 'www.external.test', '10.0.1.2')), ['192.0.2.1']);
    });

    await t.test('a task that stops leaves every host\'s answers as soon as the table changes', async () => {
      const scaled = sampleTable(11);
      scaled.tasks = scaled.tasks.filter((task) => task.name !== 'web.2.bbb' && task.name !== 'web.3.ccc');
      const t0 = Date.now();
      await applyTable(d, scaled);
      assert.deepEqual(addressesIn(await nslookup(d, 'web1', 'tasks.web', '10.0.1.2')), ['10.0.1.11']);
      assert.deepEqual(addressesIn(await nslookup(d, 'web2', 'tasks.web', '10.0.1.3')), ['10.0.1.11']);
      assert.ok(Date.now() - t0 < 1000, `${Date.now() - t0} ms from the new table to the answers`);
      await applyTable(d, sampleTable(12));
    });

    await t.test('dig: rotation, TCP, PTR, AAAA NODATA, TC and the retry over TCP', { skip: hasDig ? false : 'dig not installed (apt-get install dnsutils)' }, async () => {
      const short = async (...args: string[]): Promise<string[]> => (await dig(d, 'web1', '10.0.1.2', '+short', ...args)).trim().split('\n').filter(Boolean);
      const a = await short('tasks.web');
      const b = await short('tasks.web');
      assert.equal(a.length, 3);
      assert.notDeepEqual(a, b);
      assert.equal((await short('+tcp', 'tasks.web.appnet')).length, 3);
      assert.deepEqual(await short('-x', '10.0.1.12'), ['web.2.bbb.appnet.']);
      assert.deepEqual(await short('web.1.aaa'), ['10.0.1.11']);
      const aaaa = await dig(d, 'web1', '10.0.1.2', 'web', 'AAAA');
      assert.match(aaaa, /status: NOERROR/);
      assert.match(aaaa, /ANSWER: 0/);
      assert.match(aaaa, /flags: qr aa rd ra/);
      const udpOnly = await dig(d, 'web1', '10.0.1.2', '+ignore', '+noedns', 'big.external.test', 'TXT');
      assert.match(udpOnly, /flags: qr tc/);
      const retried = await dig(d, 'web1', '10.0.1.2', '+noedns', 'big.external.test', 'TXT');
      assert.match(retried, /ANSWER: 40/);
      assert.match(await dig(d, 'web1', '10.0.1.2', 'slow.external.test'), /status: SERVFAIL/);
    });
  });
});
