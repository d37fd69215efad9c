import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { waitUntil } from '../lab/index.js';
import { type DockerClient, dockerClients, withCluster } from './walkthrough-cluster.js';

// Seed 002 (Swarm's own tutorial): a worker joins with the worker token, a manager with the
// manager token (Reachable, while the first manager stays Leader); then node promote and demote,
// managers leaving, and `swarm leave --force` on the last manager.
async function walkthrough(t: TestContext, client: DockerClient): Promise<void> {
  await withCluster(client, async (c) => {
    const joinCommandOf = async (role: string) => {
      const out = await c.run('h1', 'swarm', 'join-token', role);
      assert.match(out, new RegExp(`^To add a ${role} to this swarm, run the following command:\\n\\n\\s+docker swarm join --token SWMTKN-1-[0-9a-z]{50}-[0-9a-z]{25} ${c.managerAddr}\\n`));
      return out.trim().split('\n').pop()!.trim().split(' ').slice(1);
    };

    await t.test('swarm init; docker info and node ls show one manager', async () => {
      await c.init();
      assert.match(await c.run('h1', 'info'), /Swarm: active\n\s+NodeID: [0-9a-z]{25}\n\s+Is Manager: true\n\s+ClusterID: [0-9a-z]{25}\n\s+Managers: 1\n\s+Nodes: 1\n/);
      assert.match(await c.run('h1', 'node', 'ls'), /\*\s+h1\s+Ready\s+Active\s+Leader/);
    });

    await t.test('join-token worker: h2 runs the printed command and joins as a worker', async () => {
      assert.equal(await c.run('h2', ...(await joinCommandOf('worker'))), 'This node joined a swarm as a worker.\n');
      assert.match(await c.run('h2', 'info'), /Swarm: active\n\s+NodeID: [0-9a-z]{25}\n\s+Is Manager: false\n\s+Node Address: /);
    });

    await t.test('join-token manager: h3 joins as a manager, Reachable; h1 stays Leader', async () => {
      assert.equal(await c.run('h3', ...(await joinCommandOf('manager'))), 'This node joined a swarm as a manager.\n');
      await c.waitNodes({ h1: 'Ready Active Leader', h2: 'Ready Active', h3: 'Ready Active Reachable' });
      const info = await c.run('h3', 'info');
      assert.match(info, /Is Manager: true/);
      assert.match(info, /Managers: 2\n\s+Nodes: 3\n/);
      assert.match(info, new RegExp(`Manager Addresses:\\n\\s+${c.address('h1')}:2377\\n\\s+${c.address('h3')}:2377\\n`));
      assert.match(await c.run('h3', 'node', 'ls'), /\*\s+h3\s+Ready\s+Active\s+Reachable/);
    });

    await t.test('node promote h2, node demote h3', async () => {
      assert.equal(await c.run('h1', 'node', 'promote', 'h2'), 'Node h2 promoted to a manager in the swarm.\n');
      await c.waitNodes({ h1: 'Ready Active Leader', h2: 'Ready Active Reachable', h3: 'Ready Active Reachable' });
      assert.match(await c.run('h1', 'info'), /Managers: 3\n/);
      assert.equal(await c.run('h1', 'node', 'demote', 'h3'), 'Manager h3 demoted in the swarm.\n');
      await c.waitNodes({ h1: 'Ready Active Leader', h2: 'Ready Active Reachable', h3: 'Ready Active' });
      await waitUntil('h3 refuses cluster commands as a worker', async () => (await c.docker('h3', ['node', 'ls'], { allowFail: true })).stderr.includes("Worker nodes can't be used"), { timeoutMs: 15_000 });
    });

    await t.test('a manager must be demoted (or forced) to leave; the worker leaves; the last manager leaves with --force', async () => {
      assert.match(await c.fails('h2', 'swarm', 'leave'), /You are attempting to leave the swarm on a node that is participating as a manager/);
      assert.equal(await c.run('h1', 'node', 'demote', 'h2'), 'Manager h2 demoted in the swarm.\n');
      await c.waitNodes({ h2: 'Ready Active' });
      for (const h of ['h2', 'h3']) {
        await waitUntil(`${h} knows it is a worker`, async () => (await c.run(h, 'info')).includes('Is Manager: false'), { timeoutMs: 15_000 });
        assert.equal(await c.run(h, 'swarm', 'leave'), 'Node left the swarm.\n');
      }
      await c.waitNodes({ h2: 'Down Active', h3: 'Down Active' });
      assert.match(await c.fails('h1', 'swarm', 'leave'), /Removing the last manager erases all current state of the swarm\. Use `--force` to ignore this message\./);
      assert.equal(await c.run('h1', 'swarm', 'leave', '--force'), 'Node left the swarm.\n');
      for (const h of ['h1', 'h2', 'h3']) assert.match(await c.run(h, 'info'), /Swarm: inactive/);
      assert.match(await c.fails('h1', 'node', 'ls'), /This node is not a swarm manager\. Use "docker swarm init" or "docker swarm join" to connect this node to swarm and try again\./);
    });
  });
}

for (const client of dockerClients()) test(`walkthrough: joining as worker and as manager, promote, demote, leave (seed 002) (docker ${client.version})`, (t) => walkthrough(t, client));
