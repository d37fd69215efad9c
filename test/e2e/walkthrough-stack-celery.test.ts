import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitUntil } from '../lab/index.js';
import { type DockerClient, dockerClients, withCluster } from './walkthrough-cluster.js';

// Seed 000: `docker stack deploy -c swarm.yml celery` of a service with `deploy: mode: replicated,
// replicas: 4`, looked at with stack ls/services/ps, redeployed with another replica count
// (updated in place: the tasks that stay are the same processes) and removed with stack rm.
const composeFile = (replicas: number) => `version: '3'

services:
  celery-worker:
    image: busybox
    command: ["ping", "127.0.0.1"]
    stop_grace_period: 1s
    deploy:
      mode: replicated
      replicas: ${replicas}
`;

async function walkthrough(t: TestContext, client: DockerClient): Promise<void> {
  await withCluster(client, async (c) => {
    const yml = join(c.lab.hostDir('h1'), 'swarm.yml');
    const deploy = async (h: string, replicas: number) => {
      writeFileSync(yml, composeFile(replicas));
      return c.docker(h, ['stack', 'deploy', '-c', yml, 'celery'], { allowFail: true });
    };
    const pids = async () => new Map((await c.tasksOf('celery_celery-worker')).map((x) => [x.ID, x.Status.ContainerStatus?.PID]));
    await c.formSwarm();

    await t.test('a worker cannot deploy a stack; a manager can', async () => {
      const onWorker = await deploy('h2', 4);
      assert.notEqual(onWorker.code, 0);
      assert.match(onWorker.stderr, /this node is not a swarm manager\. Use "docker swarm init" or "docker swarm join"/);
      const res = await deploy('h1', 4);
      assert.equal(res.code, 0, res.stderr);
      assert.equal(res.stdout, 'Creating network celery_default\nCreating service celery_celery-worker\n');
    });

    await t.test('stack ls, stack services, stack ps', async () => {
      assert.match(await c.run('h1', 'stack', 'ls'), /^NAME\s+SERVICES(\s+ORCHESTRATOR)?\n(?:.*\n)*celery\s+1(\s+Swarm)?\s*\n/); // 20.10 adds the orchestrator
      await c.waitRunning('celery_celery-worker', 4);
      assert.match(await c.run('h1', 'stack', 'services', 'celery'), /^ID\s+NAME\s+MODE\s+REPLICAS\s+IMAGE\s+PORTS\n[0-9a-z]{12}\s+celery_celery-worker\s+replicated\s+4\/4\s+busybox:latest\s*\n$/);
      const ps = await c.run('h1', 'stack', 'ps', 'celery');
      assert.match(ps, /^ID\s+NAME\s+IMAGE\s+NODE\s+DESIRED STATE\s+CURRENT STATE\s+ERROR\s+PORTS\n/);
      for (const slot of [1, 2, 3, 4]) assert.match(ps, new RegExp(`celery_celery-worker\\.${slot}\\s+busybox:latest\\s+h\\d\\s+Running\\s+Running `));
      assert.match(await c.run('h1', 'network', 'ls'), /celery_default\s+overlay\s+swarm/);
    });

    await t.test('replicas changed and deployed again: updated in place, the tasks that stay are not restarted', async () => {
      const before = await pids();
      const up = await deploy('h1', 6);
      assert.match(up.stdout, /^Updating service celery_celery-worker \(id: [0-9a-z]{25}\)\n$/);
      await c.waitRunning('celery_celery-worker', 6);
      const after = await pids();
      for (const [id, pid] of before) assert.equal(after.get(id), pid, `task ${id} kept running as the same process`);

      await deploy('h1', 2);
      await c.waitRunning('celery_celery-worker', 2);
      const kept = await pids();
      for (const [id, pid] of kept) assert.equal(before.get(id), pid, `the 2 left are 2 of the first 4, not restarted (${id})`);
      assert.match(await c.run('h1', 'stack', 'services', 'celery'), /celery_celery-worker\s+replicated\s+2\/2/);
    });

    await t.test('the service answers to its short name inside the stack network', async () => {
      const [task] = await c.tasksOf('celery_celery-worker');
      const vip = (await c.run('h1', 'service', 'inspect', 'celery_celery-worker', '--format', '{{range .Endpoint.VirtualIPs}}{{.Addr}}{{end}}')).trim().split('/')[0]!;
      await waitUntil('celery-worker resolves to the VIP', async () => (await c.nslookupIn(task!, 'celery-worker')).includes(vip), { timeoutMs: 10_000 });
      assert.ok((await c.nslookupIn(task!, 'celery_celery-worker')).includes(vip));
    });

    await t.test('stack rm removes the service, its network and its tasks', async () => {
      const tasks = await c.tasksOf('celery_celery-worker');
      assert.equal(await c.run('h1', 'stack', 'rm', 'celery'), 'Removing service celery_celery-worker\nRemoving network celery_default\n');
      assert.match(await c.run('h1', 'stack', 'ls'), /^NAME\s+SERVICES(\s+ORCHESTRATOR)?\n$/);
      await waitUntil('the tasks\' processes gone', async () => tasks.every((x) => {
        try {
          process.kill(x.Status.ContainerStatus!.PID, 0);
          return false;
        } catch {
          return true;
        }
      }), { timeoutMs: 15_000, intervalMs: 200 });
      await waitUntil('celery_default gone', async () => !(await c.run('h1', 'network', 'ls')).includes('celery_default'), { timeoutMs: 10_000 });
    });
  });
}

for (const client of dockerClients()) test(`walkthrough: stack deploy celery (seed 000), redeployed in place, then stack rm (docker ${client.version})`, (t) => walkthrough(t, client));
