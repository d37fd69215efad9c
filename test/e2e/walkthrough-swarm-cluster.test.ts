import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { type DockerClient, dockerClients, httpServer, withCluster } from './walkthrough-cluster.js';

// Seed 001 ("Docker三剑客之Docker-Swarm"), step by step on three hosts: create the swarm, look at it,
// join two hosts, rotate the manager token, drain a node and bring it back, run ping_app and scale
// it, then an overlay network and a service on it that survives a host's daemon being stopped and a
// task being stopped, and finally a worker leaving. The README's "Walkthrough" shows this run.
async function walkthrough(t: TestContext, client: DockerClient): Promise<void> {
  await withCluster(client, async (c) => {
    await t.test('swarm init --advertise-addr; docker info shows the swarm and its settings', async () => {
      await c.init();
      const info = await c.run('h1', 'info');
      for (const line of [
        'Swarm: active',
        'Is Manager: true',
        'Managers: 1',
        'Nodes: 1',
        'Task History Retention Limit: 5',
        'Snapshot Interval: 10000',
        'Number of Old Snapshots to Retain: 0',
        'Heartbeat Tick: 1',
        'Election Tick: 10',
        'Heartbeat Period: 1 second',
        'Expiry Duration: 3 months',
        'Autolock Managers: false',
        `Node Address: ${c.address('h1')}`,
        `${c.managerAddr}`,
      ])
        assert.ok(info.includes(line), `docker info shows "${line}":\n${info}`);
      assert.match(info, / NodeID: [0-9a-z]{25}\n/);
      assert.match(info, / ClusterID: [0-9a-z]{25}\n/);
    });

    await t.test('two hosts join as workers; join-token --rotate manager and -q', async () => {
      await c.joinWorkers();
      const before = (await c.run('h1', 'swarm', 'join-token', '-q', 'manager')).trim();
      const rotated = await c.run('h1', 'swarm', 'join-token', '--rotate', 'manager');
      assert.match(rotated, /^Successfully rotated manager join token\.\n\nTo add a manager to this swarm, run the following command:\n\n\s+docker swarm join --token SWMTKN-1-/);
      const after = (await c.run('h1', 'swarm', 'join-token', '-q', 'manager')).trim();
      assert.notEqual(after, before);
      assert.ok(rotated.includes(`${after} ${c.managerAddr}`), 'the rotated token is the one -q prints');
      assert.match(await c.run('h1', 'info'), /Managers: 1\n\s+Nodes: 3\n/);
    });

    await t.test('node ls; node update --availability drain, then active', async () => {
      const ls = await c.run('h1', 'node', 'ls');
      assert.match(ls, /^ID\s+HOSTNAME\s+STATUS\s+AVAILABILITY\s+MANAGER STATUS\s+ENGINE VERSION\n/);
      assert.match(ls, /[0-9a-z]{25} \*\s+h1\s+Ready\s+Active\s+Leader/);
      assert.match(ls, /[0-9a-z]{25}\s+h2\s+Ready\s+Active\s/);
      assert.equal(await c.run('h1', 'node', 'update', '--availability', 'drain', 'h2'), 'h2\n');
      assert.match(await c.run('h1', 'node', 'ls'), /h2\s+Ready\s+Drain\s/);
      assert.equal(await c.run('h1', 'node', 'update', '--availability', 'active', 'h2'), 'h2\n');
      assert.match(await c.run('h1', 'node', 'ls'), /h2\s+Ready\s+Active\s/);
    });

    await t.test('swarm update: Raft, orchestration and CA settings change and docker info shows them', async () => {
      assert.equal(await c.run('h1', 'swarm', 'update', '--snapshot-interval', '5000', '--max-snapshots', '2', '--task-history-limit', '10', '--cert-expiry', '720h'), 'Swarm updated.\n');
      const info = await c.run('h1', 'info');
      for (const line of ['Task History Retention Limit: 10', 'Snapshot Interval: 5000', 'Number of Old Snapshots to Retain: 2', 'Expiry Duration: 4 weeks', 'Heartbeat Period: 1 second'])
        assert.ok(info.includes(line), `docker info shows "${line}" after swarm update:\n${info}`);
    });

    await t.test('service create ping_app --replicas 2; ls, inspect --pretty, ps, scale to 1, rm by ID', async () => {
      const created = await c.run('h1', 'service', 'create', '--replicas', '2', '--name', 'ping_app', '--stop-grace-period', '1s', 'busybox', 'ping', '127.0.0.1');
      assert.match(created, /^[0-9a-z]{25}\n/);
      assert.match(created, /overall progress: 2 out of 2 tasks/);
      assert.match(created, /verify: Service ([0-9a-z]{25} )?converged/); // 20.10 leaves out the ID
      const id = created.split('\n')[0]!;
      assert.match(await c.run('h1', 'service', 'ls'), new RegExp(`${id.slice(0, 12)}\\s+ping_app\\s+replicated\\s+2/2\\s+busybox:latest`));
      const pretty = await c.run('h1', 'service', 'inspect', '--pretty', 'ping_app');
      for (const re of [`ID:\\s+${id}`, 'Name:\\s+ping_app', 'Service Mode:\\s+Replicated', 'Replicas:\\s+2', 'UpdateConfig:\\n\\s+Parallelism:\\s+1\\n\\s+On failure:\\s+pause\\n\\s+Monitoring Period: 5s', 'Update order:\\s+stop-first', 'RollbackConfig:', 'Image:\\s+busybox', 'Args:\\s+ping 127.0.0.1', 'Endpoint Mode:\\s+vip'])
        assert.match(pretty, new RegExp(re), `inspect --pretty shows ${re}:\n${pretty}`);
      const ps = await c.run('h1', 'service', 'ps', 'ping_app');
      assert.match(ps, /^ID\s+NAME\s+IMAGE\s+NODE\s+DESIRED STATE\s+CURRENT STATE\s+ERROR\s+PORTS\n/);
      assert.match(ps, /ping_app\.1\s+busybox:latest\s+h\d\s+Running\s+Running /);
      assert.match(ps, /ping_app\.2\s+busybox:latest\s+h\d\s+Running\s+Running /);
      assert.equal(new Set(Object.keys(await c.runningPerHost('ping_app'))).size, 2, 'the two replicas run on two hosts');

      const scaled = await c.run('h1', 'service', 'scale', 'ping_app=1');
      assert.match(scaled, /^ping_app scaled to 1\n/);
      assert.match(scaled, /verify: Service (ping_app )?converged/);
      await c.waitRunning('ping_app', 1);
      assert.match(await c.run('h1', 'service', 'ls'), /ping_app\s+replicated\s+1\/1/);
      assert.equal(await c.run('h1', 'service', 'rm', id.slice(0, 12)), `${id.slice(0, 12)}\n`);
      assert.doesNotMatch(await c.run('h1', 'service', 'ls'), /ping_app/);
    });

    await t.test('network create -d overlay nginx_net; a service of 3 on it, published, scaled to 4 and to 2', async () => {
      assert.match(await c.run('h1', 'network', 'create', '-d', 'overlay', 'nginx_net'), /^[0-9a-z]{25}\n$/);
      assert.match(await c.run('h1', 'network', 'ls'), /[0-9a-z]{12}\s+nginx_net\s+overlay\s+swarm/);
      const created = await c.run('h1', 'service', 'create', '--name', 'hu_nginx', '--replicas', '3', '--network', 'nginx_net', '-p', '8080:80', '--stop-grace-period', '1s', ...httpServer(80));
      assert.match(created, /overall progress: 3 out of 3 tasks/);
      await c.waitSpread('hu_nginx', { h1: 1, h2: 1, h3: 1 });
      assert.match(await c.run('h1', 'service', 'ls'), /hu_nginx\s+replicated\s+3\/3\s+busybox:latest\s+\*:8080->80\/tcp/);
      assert.match(await c.run('h1', 'service', 'inspect', '--pretty', 'hu_nginx'), /Networks: nginx_net/);
      await c.reachedEverywhere(8080, 3);

      assert.equal(await c.run('h1', 'service', 'scale', '--detach', 'hu_nginx=4'), 'hu_nginx scaled to 4\n');
      await c.waitRunning('hu_nginx', 4);
      await c.run('h1', 'service', 'scale', '--detach', 'hu_nginx=2');
      await c.waitRunning('hu_nginx', 2);
      await c.run('h1', 'service', 'scale', '--detach', 'hu_nginx=3');
      await c.waitSpread('hu_nginx', { h1: 1, h2: 1, h3: 1 });
    });

    await t.test("a host's daemon stopped (systemctl stop docker): the node is Down and its task moves", async () => {
      const stoppedAt = Date.now();
      await c.hosts.h3!.stop();
      await c.waitNodes({ h3: 'Down Active' });
      const downMs = Date.now() - stoppedAt;
      const moved = await c.waitRunning('hu_nginx', 3);
      assert.equal(moved.h3, undefined, 'nothing runs on the stopped host');
      const movedMs = Date.now() - stoppedAt;
      assert.equal((await c.run('h1', 'node', 'inspect', 'h3', '--format', '{{.Status.Message}}')).trim(), 'shoald stopped', 'h3 said goodbye: Down at once, not after missed heartbeats');
      const onH3 = (await c.run('h1', 'service', 'ps', '--format', '{{.Name}} {{.Node}} {{.DesiredState}} {{.CurrentState}}', 'hu_nginx')).split('\n').filter((l) => l.includes(' h3 '));
      assert.equal(onH3.length, 1, `h3 got no replacement while it stopped:\n${onH3.join('\n')}`);
      assert.match(onH3[0]!, /^hu_nginx\.\d h3 Shutdown Shutdown /, 'its task stays in the history, shut down');
      await c.reachedEverywhere(8080, 3, ['h1', 'h2']);
      process.stdout.write(`# walkthrough: h3 shown Down ${downMs} ms after its daemon stopped, its task running elsewhere after ${movedMs} ms\n`);
    });

    await t.test('a task stopped on a host (docker ps, docker stop) is replaced and kept in the history; scaled to 1', async () => {
      const [id, name] = (await c.run('h1', 'ps', '--format', '{{.ID}} {{.Names}}')).trim().split('\n')[0]!.split(' ');
      assert.match(name!, /^hu_nginx\.\d\.[0-9a-z]{25}$/, 'h1\'s hu_nginx tasks are shown as containers');
      assert.equal(await c.run('h1', 'stop', id!), `${id}\n`);
      assert.match(await c.run('h1', 'ps', '-a', '--filter', `id=${id}`, '--format', '{{.Status}}'), /^Exited \(\d+\) /);
      await c.waitRunning('hu_nginx', 3);
      assert.match(await c.run('h1', 'service', 'ls'), /hu_nginx\s+replicated\s+3\/3/);
      assert.match(await c.run('h1', 'service', 'ps', 'hu_nginx'), /\\_ hu_nginx\.\d\s+busybox:latest\s+h1\s+Shutdown\s+(Complete|Failed) /, 'the stopped task is in the history');

      assert.equal(await c.run('h1', 'service', 'scale', '--detach', 'hu_nginx=1'), 'hu_nginx scaled to 1\n');
      await c.waitRunning('hu_nginx', 1);
      assert.match(await c.run('h1', 'service', 'ls'), /hu_nginx\s+replicated\s+1\/1/);
    });

    await t.test('the stopped host comes back Ready; a worker leaves the swarm', async () => {
      await c.hosts.h3!.start();
      await c.waitNodes({ h3: 'Ready Active' });
      assert.equal(await c.run('h1', 'service', 'rm', 'hu_nginx'), 'hu_nginx\n');
      assert.equal(await c.run('h2', 'swarm', 'leave'), 'Node left the swarm.\n');
      await c.waitNodes({ h2: 'Down Active' });
      assert.match(await c.run('h2', 'info'), /Swarm: inactive/);
    });
  });
}

// With the lab's docker CLI only: the other walkthroughs run with Debian's 20.10 client too.
for (const client of dockerClients().slice(0, 1)) test(`walkthrough: the swarm cluster of seed 001, from swarm init to swarm leave (docker ${client.version})`, (t) => walkthrough(t, client));
