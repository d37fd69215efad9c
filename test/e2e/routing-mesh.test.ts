import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withLab, waitUntil } from '../lab/index.js';
import { dockerOn, fetchFromOutside, startShoalds } from './shoald-harness.js';

for (const dataplane of ['nftables', 'userspace'] as const) {
  test(`a published port answers on every host and reaches the tasks on all hosts (${dataplane})`, async () => {
    await withLab({ hosts: 3 }, async (lab) => {
      const hosts = await startShoalds(lab, ['h1', 'h2', 'h3'], ['--dataplane', dataplane]);
      for (const h of Object.values(hosts)) await h.importBusybox();
      const run = dockerOn(hosts);
      await run('h1', 'swarm', 'init', '--advertise-addr', lab.host('h1').address);
      const token = (await run('h1', 'swarm', 'join-token', '-q', 'worker')).trim();
      for (const h of ['h2', 'h3']) await run(h, 'swarm', 'join', '--token', token, `${lab.host('h1').address}:2377`);
      await waitUntil('three nodes ready', async () => (await run('h1', 'node', 'ls', '--format', '{{.Status}}')).trim().split('\n').filter((s) => s === 'Ready').length === 3, { timeoutMs: 20_000 });
      assert.match(await run('h1', 'info', '--format', '{{json .}}'), new RegExp(dataplane));

      // Each task serves its own hostname, so the answers show which task took the connection.
      await run('h1', 'service', 'create', '--detach', '--name', 'web', '--replicas', '3', '-p', '8080:80', '--stop-grace-period', '1s',
        'busybox', 'sh', '-c', 'mkdir -p /www && hostname > /www/index.html && exec httpd -f -p 80 -h /www');
      await waitUntil('web on three hosts', async () => {
        const nodes = (await run('h1', 'service', 'ps', '--filter', 'desired-state=running', '--format', '{{.Node}} {{.CurrentState}}', 'web')).trim().split('\n');
        return new Set(nodes.filter((l) => l.includes('Running')).map((l) => l.split(' ')[0])).size === 3;
      }, { timeoutMs: 40_000, intervalMs: 300 });

      for (const h of ['h1', 'h2', 'h3']) {
        const seen = new Set<string>();
        await waitUntil(`port 8080 on ${h} reaches all three tasks`, async () => {
          for (let i = 0; i < 6; i++) {
            const body = await fetchFromOutside(lab, lab.host(h).address, 8080);
            if (body) seen.add(body);
          }
          return seen.size === 3;
        }, { timeoutMs: 30_000, intervalMs: 200 });
      }

      // PROXY protocol, opt-in by label: a bad label is refused; a task echoing its first line shows the header the mesh sent.
      const refused = await hosts.h1!.docker(['service', 'create', '--detach', '--name', 'bad', '--label', 'shoal.proxy-protocol.9090=v3', '-p', '9090:80', 'busybox', 'true'], { allowFail: true });
      assert.match(refused.stderr, /InvalidArgument desc = invalid label shoal\.proxy-protocol\.9090=v3: the PROXY protocol version is v1 or v2/);
      await run('h1', 'service', 'create', '--detach', '--name', 'echo', '--label', 'shoal.proxy-protocol.9090=v1', '-p', '9090:80', 'busybox', 'nc', '-ll', '-p', '80', '-e', 'head', '-n', '1');
      const client = lab.labHost.address; // the outside world
      let said = '';
      await waitUntil('echo answers through h2 with a PROXY header', async () => {
        const res = await lab.exec(lab.labHost, 'busybox', ['nc', '-w', '3', lab.host('h2').address, '9090'], { allowFail: true, input: 'hello\n', timeoutMs: 10_000 });
        said = res.stdout.trim();
        return said.startsWith('PROXY');
      }, { timeoutMs: 40_000, intervalMs: 300 });
      assert.match(said, new RegExp(`^PROXY TCP4 ${client.replaceAll('.', '\\.')} ${lab.host('h2').address.replaceAll('.', '\\.')} \\d+ 9090$`));

      // Client-IP affinity (label shoal.affinity.<published port>): a bad duration or port is refused
      // with a 400 naming the label; a good one keeps the outside client on one task (per host).
      for (const [label, why] of [['shoal.affinity.8080=10x', /invalid label shoal\.affinity\.8080=10x: "10x" is not a duration/], ['shoal.affinity.9090=10m', /the service publishes no port 9090/]] as const) {
        const refused = await hosts.h1!.docker(['service', 'update', '--detach', '--label-add', label, 'web'], { allowFail: true });
        assert.notEqual(refused.code, 0, refused.stdout);
        assert.match(refused.stderr, why);
      }
      await run('h1', 'service', 'update', '--detach', '--label-add', 'shoal.affinity.8080=10m', 'web');
      for (const h of ['h1', 'h2', 'h3']) {
        await waitUntil(`port 8080 on ${h} keeps the client on one task`, async () => {
          const seen = new Set<string>();
          for (let i = 0; i < 6; i++) seen.add(await fetchFromOutside(lab, lab.host(h).address, 8080));
          return seen.size === 1 && !seen.has('');
        }, { timeoutMs: 30_000, intervalMs: 200 });
      }
    });
  });
}
