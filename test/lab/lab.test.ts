import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { BUSYBOX_BIN, LAB_NS_HOST, withLab, waitUntil, type Lab, type HostRef } from './index.js';
import { isAlive, withDescendants } from './pids.js';
import { labTraces, NO_TRACES, rootLinks } from './traces.js';

/** One ICMP echo from a host to an address, one second to answer. */
async function reaches(lab: Lab, from: HostRef, to: HostRef): Promise<boolean> {
  const res = await lab.exec(from, BUSYBOX_BIN, ['ping', '-c', '1', '-W', '1', lab.host(to).address], { allowFail: true });
  return res.code === 0;
}

const TCP_NAME_SERVER = `require('net').createServer((s) => s.end(require('os').hostname())).listen(7000, () => console.log('listening'))`;
const tcpClient = (address: string): string =>
  `const s = require('net').connect(7000, '${address}'); let d = ''; s.on('data', (b) => (d += b)); s.on('end', () => console.log(d))`;

test('three hosts reach each other over the underlay and each has its own hostname', async () => {
  await withLab({ hosts: 3 }, async (lab) => {
    assert.deepEqual(
      lab.hosts.map((h) => h.name),
      ['h1', 'h2', 'h3'],
    );
    for (const a of lab.hosts) {
      for (const b of lab.hosts) if (a !== b) assert.ok(await reaches(lab, a, b), `${a.name} -> ${b.name}`);
      assert.equal((await lab.exec(a, 'hostname')).stdout.trim(), a.name);
    }
    assert.ok(!['h1', 'h2', 'h3'].includes(hostname()), 'the machine keeps its hostname');

    // A server in h2 answers with the hostname it sees; h1 and the outside world connect over TCP.
    const server = await lab.start('h2', process.execPath, ['-e', TCP_NAME_SERVER], { name: 'name-server' });
    await server.waitForOutput(/listening/);
    for (const client of ['h1', 'lab']) {
      const res = await lab.exec(client, process.execPath, ['-e', tcpClient(lab.host('h2').address)]);
      assert.equal(res.stdout.trim(), 'h2', `from ${client}`);
    }
  });
});

test('partition cuts one host off while the others still talk; heal restores it', async () => {
  await withLab({ hosts: 3 }, async (lab) => {
    // h1's port has the lowest MAC on the underlay bridge, and h2 has the lab namespace's MAC in its ARP
    // cache: the lab namespace keeps that MAC when the port leaves, so what h2 sends it still arrives.
    await lab.exec(LAB_NS_HOST, 'ip', ['link', 'set', 'h1', 'address', '02:00:00:00:00:01']);
    assert.ok(await reaches(lab, LAB_NS_HOST, 'h2'));
    await lab.partition('h1');
    assert.ok(await reaches(lab, 'h2', LAB_NS_HOST), 'h2 reaches the lab namespace right after h1 is cut off');
    assert.ok(await reaches(lab, 'h2', 'h3'));
    assert.ok(!(await reaches(lab, 'h1', 'h2')));
    assert.ok(!(await reaches(lab, 'h3', 'h1')));
    assert.ok(!(await reaches(lab, 'lab', 'h1')));

    await lab.heal('h1');
    await waitUntil('h1 to reach h2 again', () => reaches(lab, 'h1', 'h2'), { timeoutMs: 5000 });
    assert.ok(await reaches(lab, 'h3', 'h1'));
    assert.ok(await reaches(lab, 'lab', 'h1'));
  });
});

test('killHost SIGKILLs everything started in the host and nothing elsewhere', async () => {
  await withLab({ hosts: 2 }, async (lab) => {
    const sleeper = await lab.start('h1', BUSYBOX_BIN, ['sleep', '600']);
    const parent = await lab.start('h1', BUSYBOX_BIN, ['sh', '-c', `${BUSYBOX_BIN} sleep 600 & ${BUSYBOX_BIN} sleep 600 & echo forked; wait`]);
    await parent.waitForOutput(/forked/);
    const children = [...withDescendants([parent.pid])].filter((pid) => pid !== parent.pid);
    assert.equal(children.length, 2);
    const elsewhere = await lab.start('h2', BUSYBOX_BIN, ['sleep', '600']);

    await lab.killHost('h1');

    assert.equal((await sleeper.exited).signal, 'SIGKILL');
    assert.equal((await parent.exited).signal, 'SIGKILL');
    for (const pid of children) assert.ok(!isAlive(pid), `child ${pid} of the killed host`);
    assert.ok(elsewhere.running, 'a process on another host survives');

    // The host itself stays: it can run processes again, as a rebooted host would.
    const again = await lab.start('h1', BUSYBOX_BIN, ['sh', '-c', 'echo back on $(hostname)']);
    await again.waitForOutput(/back on h1/);
  });
});

test('destroy leaves no namespace, device, process, mount or folder behind, also when the test fails', async () => {
  const linksBefore = await rootLinks();
  let prefix = '';
  const pids: number[] = [];
  let dumped = '';
  await assert.rejects(
    withLab({ hosts: 2, onFailureLogs: (text) => (dumped = text) }, async (lab) => {
      prefix = lab.prefix;
      for (const host of ['h1', 'h2', 'lab']) {
        const p = await lab.start(host, BUSYBOX_BIN, ['sh', '-c', `echo started on ${host}; exec ${BUSYBOX_BIN} sleep 600`]);
        await p.waitForOutput(/started on/);
        pids.push(p.pid);
      }
      assert.equal((await labTraces(prefix)).namespaces.length, 3);
      throw new Error('failing on purpose');
    }),
    /failing on purpose/,
  );
  assert.match(dumped, /started on h1/, 'the processes output is shown for a failed test');
  assert.match(dumped, /started on lab/);
  assert.deepEqual(await labTraces(prefix), NO_TRACES);
  assert.deepEqual(await rootLinks(), linksBefore, 'no device appears in the root namespace');
  for (const pid of pids) assert.ok(!isAlive(pid), `process ${pid}`);
});
