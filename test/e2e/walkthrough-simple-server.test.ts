import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { waitUntil } from '../lab/index.js';
import { type DockerClient, dockerClients, httpServer, withCluster } from './walkthrough-cluster.js';

// Seed 004: `docker swarm init` with no flags, a web server published on port 8000, scaled to
// three, one of its containers killed with `docker kill` (found with `docker ps`) and replaced
// while clients keep being served, then `service rm` and `swarm leave --force`.
async function walkthrough(t: TestContext, client: DockerClient): Promise<void> {
  await withCluster(client, async (c) => {
    await t.test('docker swarm init without flags picks the host\'s address; node ls shows the Leader', async () => {
      const init = await c.run('h1', 'swarm', 'init', '--dispatcher-heartbeat', '1s');
      assert.match(init, new RegExp(`docker swarm join --token SWMTKN-1-\\S+ ${c.managerAddr.replace(/\./g, '\\.')}\\n`));
      assert.match(await c.run('h1', 'node', 'ls'), /^ID\s+HOSTNAME\s+STATUS\s+AVAILABILITY\s+MANAGER STATUS\s+ENGINE VERSION\n[0-9a-z]{25} \*\s+h1\s+Ready\s+Active\s+Leader\s+\S+\s*\n$/);
      await c.joinWorkers();
    });

    await t.test('service create --detach=true --name simple-server -p 8000:8000; service ls; served on every host', async () => {
      const res = await c.docker('h1', ['service', 'create', '--detach=true', '--name', 'simple-server', '-p', '8000:8000', '--stop-grace-period', '1s', ...httpServer(8000)]);
      assert.match(res.stdout, /^[0-9a-z]{25}\n$/);
      assert.match(res.stderr, /image busybox:latest could not be accessed on a registry to record\nits digest\. Each node will access busybox:latest independently,\npossibly leading to different nodes running different\nversions of the image\./);
      await c.waitRunning('simple-server', 1);
      assert.match(await c.run('h1', 'service', 'ls'), /^ID\s+NAME\s+MODE\s+REPLICAS\s+IMAGE\s+PORTS\n[0-9a-z]{12}\s+simple-server\s+replicated\s+1\/1\s+busybox:latest\s+\*:8000->8000\/tcp\s*\n$/);
      await c.reachedEverywhere(8000, 1);
    });

    await t.test('scaled to 3: 3/3, each host serves all three', async () => {
      assert.match(await c.run('h1', 'service', 'scale', '--detach', 'simple-server=3'), /^simple-server scaled to 3\n$/);
      await c.waitSpread('simple-server', { h1: 1, h2: 1, h3: 1 });
      assert.match(await c.run('h1', 'service', 'ls'), /simple-server\s+replicated\s+3\/3/);
      await c.reachedEverywhere(8000, 3);
    });

    await t.test('docker ps on a host shows its task; docker kill: replaced, clients still served', async () => {
      const ps = await c.run('h2', 'ps', '--format', '{{.ID}}  {{.Image}}  {{.Names}}');
      const line = ps.trim().split('\n');
      assert.equal(line.length, 1, `h2 runs one task:\n${ps}`);
      const [id, image, name] = line[0]!.split(/\s+/);
      assert.equal(image, 'busybox:latest');
      assert.match(name!, /^simple-server\.\d\.[0-9a-z]{25}$/);

      // A client keeps asking h1's port 8000 while the container dies and comes back.
      let stop = false;
      let failed = 0;
      let served = 0;
      const client = (async () => {
        while (!stop) ((await c.httpGet('h1', 8000)) ? served++ : failed++);
      })();
      assert.equal(await c.run('h2', 'kill', id!), `${id}\n`);
      await waitUntil('h2 runs a new container', async () => {
        const now = (await c.run('h2', 'ps', '-q')).trim();
        return now !== '' && now !== id;
      }, { timeoutMs: 20_000, intervalMs: 200 });
      assert.match(await c.run('h2', 'ps', '-a', '--filter', `id=${id}`, '--format', '{{.Status}}'), /^Exited \(137\) /);
      await c.waitRunning('simple-server', 3);
      assert.match(await c.run('h1', 'service', 'ls'), /simple-server\s+replicated\s+3\/3/);
      const ps2 = await c.run('h1', 'service', 'ps', 'simple-server');
      assert.match(ps2, /\\_ simple-server\.\d\s+busybox:latest\s+h2\s+Shutdown\s+Failed .* ago\s+"task: non-zero exit \(137\)"/, ps2);
      stop = true;
      await client;
      await c.reachedEverywhere(8000, 3);
      process.stdout.write(`# walkthrough: ${served} requests served, ${failed} failed while a task was killed and replaced\n`);
      assert.ok(served > 0);
    });

    await t.test('service rm; service ls is empty; the port is closed; swarm leave, --force on the manager', async () => {
      assert.equal(await c.run('h1', 'service', 'rm', 'simple-server'), 'simple-server\n');
      assert.equal(await c.run('h1', 'service', 'ls'), 'ID        NAME      MODE      REPLICAS   IMAGE     PORTS\n');
      await waitUntil('port 8000 closed everywhere', async () => (await Promise.all(['h1', 'h2', 'h3'].map((h) => c.httpGet(h, 8000)))).every((b) => b === ''), { timeoutMs: 10_000, intervalMs: 200 });
      for (const h of ['h2', 'h3']) assert.equal(await c.run(h, 'swarm', 'leave'), 'Node left the swarm.\n');
      assert.equal(await c.run('h1', 'swarm', 'leave', '--force'), 'Node left the swarm.\n');
      assert.match(await c.run('h1', 'info'), /Swarm: inactive/);
    });
  });
}

for (const client of dockerClients()) test(`walkthrough: simple-server on port 8000, scaled, a container killed, cleaned up (seed 004) (docker ${client.version})`, (t) => walkthrough(t, client));
