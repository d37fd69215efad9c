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
    });
  });
}
