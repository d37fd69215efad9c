import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { waitUntil } from '../lab/index.js';
import { type DockerClient, dockerClients, httpServer, withCluster } from './walkthrough-cluster.js';

// Seed 003: a manager and two workers; `service create --replicas 1 --name helloworld`, looked at,
// scaled to 2 and removed; then its "Routing Mesh": inside, a service name is a DNS record of the
// service's VIP (and tasks.<name> of its tasks), balanced over the tasks; at the ingress, a
// published port answers on all three hosts.
async function walkthrough(t: TestContext, client: DockerClient): Promise<void> {
  await withCluster(client, async (c) => {
    await t.test('a manager and two workers; docker info counts them', async () => {
      await c.formSwarm();
      assert.match(await c.run('h1', 'info'), /Is Manager: true\n(?:.*\n)*?\s+Managers: 1\n\s+Nodes: 3\n/);
    });

    await t.test('service create --replicas 1 --name helloworld busybox ping 127.0.0.1; ls; ps; scale to 2; rm', async () => {
      const created = await c.run('h1', 'service', 'create', '--replicas', '1', '--name', 'helloworld', '--stop-grace-period', '1s', 'busybox', 'ping', '127.0.0.1');
      assert.match(created, /overall progress: 1 out of 1 tasks\n[\s\S]*verify: Service ([0-9a-z]{25} )?converged/); // 20.10 leaves out the ID
      assert.match(await c.run('h1', 'service', 'ls'), /helloworld\s+replicated\s+1\/1\s+busybox:latest/);
      assert.match(await c.run('h1', 'service', 'ps', 'helloworld'), /helloworld\.1\s+busybox:latest\s+h[123]\s+Running\s+Running /);
      assert.equal(await c.run('h1', 'service', 'scale', '--detach', 'helloworld=2'), 'helloworld scaled to 2\n');
      const spread = await c.waitRunning('helloworld', 2);
      assert.equal(Object.keys(spread).length, 2, 'the second replica goes to another host');
      assert.equal(await c.run('h1', 'service', 'rm', 'helloworld'), 'helloworld\n');
      assert.equal(await c.run('h1', 'service', 'ls'), 'ID        NAME      MODE      REPLICAS   IMAGE     PORTS\n');
    });

    await t.test('internal: a service name resolves to its VIP, tasks.<name> to its tasks, and the VIP balances', async () => {
      await c.run('h1', 'network', 'create', '-d', 'overlay', 'demo');
      await c.run('h1', 'service', 'create', '--detach', '--name', 'web', '--replicas', '3', '--network', 'demo', '-p', '8000:8000', '--stop-grace-period', '1s', ...httpServer(8000));
      await c.run('h1', 'service', 'create', '--detach', '--name', 'client', '--network', 'demo', '--stop-grace-period', '1s', 'busybox', 'sleep', '100000');
      await c.waitSpread('web', { h1: 1, h2: 1, h3: 1 });
      await c.waitRunning('client', 1);
      const [client] = await c.tasksOf('client');
      const web = await c.tasksOf('web');
      const demoId = (await c.run('h1', 'network', 'inspect', 'demo', '--format', '{{.Id}}')).trim();
      const vips = JSON.parse(await c.run('h1', 'service', 'inspect', 'web', '--format', '{{json .Endpoint.VirtualIPs}}')) as { NetworkID: string; Addr: string }[];
      const vip = vips.find((v) => v.NetworkID === demoId)!.Addr.split('/')[0]!;
      const taskAddrs = web.map((x) => x.NetworksAttachments!.find((a) => a.Network.Spec.Name === 'demo')!.Addresses[0]!.split('/')[0]!);

      const name = await waitUntil('web resolving to its VIP', async () => {
        const out = await c.nslookupIn(client!, 'web');
        return out.includes(vip) && out;
      }, { timeoutMs: 15_000, intervalMs: 300 });
      assert.match(name, new RegExp(`Name:\\s+web\\nAddress:\\s+${vip.replace(/\./g, '\\.')}`));
      assert.doesNotMatch(name, new RegExp(taskAddrs.map((a) => a.replace(/\./g, '\\.')).join('|')), 'the service name is the VIP, not the tasks');
      const tasks = await c.nslookupIn(client!, 'tasks.web');
      for (const a of taskAddrs) assert.ok(tasks.includes(a), `tasks.web lists ${a}:\n${tasks}`);

      const pid = String(client!.Status.ContainerStatus!.PID);
      const pages = new Set<string>();
      await waitUntil('the VIP reaching all three tasks', async () => {
        const res = await c.lab.exec('h1', 'nsenter', ['-t', pid, '--net', '--mount', 'busybox', 'nc', '-w', '3', 'web', '8000'], { allowFail: true, input: 'GET / HTTP/1.0\r\n\r\n', timeoutMs: 10_000 });
        const body = res.stdout.split('\r\n\r\n')[1]?.trim();
        if (body) pages.add(body);
        return pages.size === 3;
      }, { timeoutMs: 20_000, intervalMs: 50 });
    });

    await t.test('ingress: the published port answers on all three hosts, from each of the tasks', async () => {
      assert.match(await c.run('h1', 'service', 'ls', '--filter', 'name=web'), /web\s+replicated\s+3\/3\s+busybox:latest\s+\*:8000->8000\/tcp/);
      await c.reachedEverywhere(8000, 3);
    });
  });
}

// With the lab's docker CLI only: the other walkthroughs run with Debian's 20.10 client too.
for (const client of dockerClients().slice(0, 1)) test(`walkthrough: helloworld and the routing mesh, inside and at the ingress (seed 003) (docker ${client.version})`, (t) => walkthrough(t, client));
