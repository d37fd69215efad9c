import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { exec } from '../../src/util/exec.js';
import { startDocker, waitUntil, withLab, type DockerEngine, type Lab } from '../lab/index.js';
import { ShoaldInHost } from './shoald-harness.js';

// shoald with --runtime docker against a private engine in the same lab host: services run as containers.

interface TaskView {
  ID: string;
  Status: { State: string; Err?: string; ContainerStatus?: { ContainerID: string } };
  NetworksAttachments?: { Addresses: string[] }[];
}

async function runningTasks(shoald: ShoaldInHost, service: string): Promise<TaskView[]> {
  const ids = (await shoald.docker(['service', 'ps', '-q', '--filter', 'desired-state=running', service])).stdout.trim().split('\n').filter(Boolean);
  return ids.length ? (JSON.parse((await shoald.docker(['inspect', '--type', 'task', ...ids])).stdout) as TaskView[]) : [];
}

/** IDs of the engine's running containers of a service (by the swarm label, so sandboxes are not counted). */
async function serviceContainers(engine: DockerEngine, service: string): Promise<string[]> {
  const ps = await engine.cli(['ps', '-q', '--no-trunc', '--filter', `label=com.docker.swarm.service.name=${service}`]);
  return ps.stdout.trim().split('\n').filter(Boolean).sort();
}

/** Task network namespaces shoald names in /run/netns (see task-runtime.ts), removed if a failed run left them. */
async function removeTaskNamespaces(lab: Lab, shoald: ShoaldInHost): Promise<void> {
  const prefix = `shoal-${createHash('sha256').update(shoald.dataDir).digest('hex').slice(0, 8)}-`;
  const names = (await exec('ip', ['netns', 'list'])).stdout.split('\n').map((l) => l.split(' ')[0]!);
  for (const n of names.filter((x) => x.startsWith(prefix))) await lab.exec('h1', 'ip', ['netns', 'del', n], { allowFail: true });
}

test('shoald --runtime docker runs a service as containers on the overlay, replaces a killed one, adopts them across a restart', { timeout: 600_000 }, async () => {
  await withLab({ hosts: 1 }, async (lab) => {
    const engine = await startDocker(lab, 'h1', { importBusybox: true });
    const shoald = new ShoaldInHost(lab, 'h1', ['--advertise-addr', lab.host('h1').address, '--runtime', 'docker', '--docker-host', engine.dockerHost]);
    try {
      await shoald.start();
      assert.match(shoald.process.output(), /"runtime":"docker"[^\n]*task runtime/);
      assert.equal((await shoald.docker(['info', '--format', '{{.DefaultRuntime}}'])).stdout.trim(), 'docker');
      await shoald.docker(['swarm', 'init']);
      await shoald.docker(['network', 'create', '-d', 'overlay', 'appnet']);
      await shoald.docker(['service', 'create', '--detach', '--name', 'web', '--replicas', '2', '--network', 'appnet', 'busybox', 'httpd', '-f', '-p', '80', '-h', '/etc']);
      await shoald.waitForReplicas('web', '2/2', 60_000);

      const tasks = await runningTasks(shoald, 'web');
      const containers = await serviceContainers(engine, 'web');
      assert.equal(containers.length, 2, '`docker ps` on the engine shows the two task containers');
      assert.deepEqual(tasks.map((t) => t.Status.ContainerStatus?.ContainerID).sort(), containers, 'task status names its container');
      for (const t of tasks) {
        const ip = t.NetworksAttachments![0]!.Addresses[0]!.split('/')[0]!;
        const body = await lab.exec('h1', 'wget', ['-q', '-O', '-', `http://${ip}/hostname`]);
        assert.equal(body.stdout.trim(), t.ID.slice(0, 12), `task ${t.ID} answers on its overlay address ${ip}`);
      }

      // `docker kill` behind Shoal's back: the task fails and a new one takes its slot.
      const killed = tasks[0]!;
      await engine.cli(['kill', killed.Status.ContainerStatus!.ContainerID]);
      await waitUntil('a replacement for the killed container', async () => {
        const now = await runningTasks(shoald, 'web');
        return now.length === 2 && !now.some((t) => t.ID === killed.ID) && now.every((t) => t.Status.State === 'running');
      }, { timeoutMs: 60_000, intervalMs: 300 });
      const failed = JSON.parse((await shoald.docker(['inspect', '--type', 'task', killed.ID])).stdout) as TaskView[];
      assert.equal(failed[0]!.Status.State, 'failed');
      assert.match(failed[0]!.Status.Err ?? '', /non-zero exit \(137\)/);

      // A crash of shoald: the containers keep running and the restarted daemon adopts them.
      const before = await serviceContainers(engine, 'web');
      await shoald.crash();
      await shoald.start();
      await shoald.process.waitForOutput(/adopted a task(.|\n)*adopted a task/, 30_000);
      await shoald.waitForReplicas('web', '2/2', 60_000);
      assert.deepEqual(await serviceContainers(engine, 'web'), before, 'the same containers, adopted');

      assert.match((await shoald.docker(['swarm', 'leave', '--force'])).stdout, /Node left the swarm\./);
      const left = await engine.cli(['ps', '-a', '--filter', 'label=com.shoal.task.id', '--format', '{{.Names}} {{.Status}}']);
      assert.equal(left.stdout.trim(), '', 'leaving removed every container and sandbox');
    } finally {
      await removeTaskNamespaces(lab, shoald);
      await engine.stop();
    }
  });
});
