import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withLab, waitUntil } from '../lab/index.js';
import { ShoaldInHost } from './shoald-harness.js';

interface TaskView {
  ID: string;
  Slot: number;
  DesiredState: string;
  Status: { State: string; ContainerStatus: { PID: number } };
}

async function runningTasks(shoald: ShoaldInHost, service: string): Promise<TaskView[]> {
  const ids = (await shoald.docker(['service', 'ps', '-q', '--filter', 'desired-state=running', service])).stdout.trim().split('\n').filter(Boolean);
  return ids.length ? (JSON.parse((await shoald.docker(['inspect', '--type', 'task', ...ids])).stdout) as TaskView[]) : [];
}

function assertOnePerSlot(tasks: TaskView[], replicas: number): void {
  assert.deepEqual(tasks.map((t) => t.Slot).sort(), Array.from({ length: replicas }, (_, i) => i + 1), 'exactly one task wanted running per slot');
}

test('shoald restarted keeps every object and reconciles its tasks instead of duplicating them', async () => {
  await withLab({ hosts: 1 }, async (lab) => {
    const shoald = new ShoaldInHost(lab, 'h1', ['--advertise-addr', lab.host('h1').address]);
    await shoald.start();
    await shoald.docker(['swarm', 'init']);
    await shoald.importBusybox();
    await shoald.docker(['network', 'create', '-d', 'overlay', 'appnet']);
    await shoald.docker(['secret', 'create', 'token', '-'], { input: 'abc' });
    await shoald.docker(['service', 'create', '--detach', '--name', 'web', '--replicas', '3', '--network', 'appnet', '--secret', 'token', 'busybox', 'httpd', '-f', '-p', '80']);
    await shoald.waitForReplicas('web', '3/3');
    const before = await runningTasks(shoald, 'web');

    // A crash: the tasks keep running and the restarted daemon adopts them.
    await shoald.crash();
    for (const t of before) process.kill(t.Status.ContainerStatus.PID, 0);
    await shoald.start();
    await shoald.waitForReplicas('web', '3/3');
    const adopted = await runningTasks(shoald, 'web');
    assert.deepEqual(adopted.map((t) => t.ID).sort(), before.map((t) => t.ID).sort(), 'the same tasks, adopted');
    assert.deepEqual(adopted.map((t) => t.Status.ContainerStatus.PID).sort(), before.map((t) => t.Status.ContainerStatus.PID).sort());
    assert.match((await shoald.docker(['network', 'ls'])).stdout, /appnet/);
    assert.match((await shoald.docker(['secret', 'ls'])).stdout, /token/);

    // After adoption the tasks are still managed: killing one gets it replaced.
    process.kill(adopted[0].Status.ContainerStatus.PID, 'SIGKILL');
    await waitUntil('replacement after adoption', async () => !(await runningTasks(shoald, 'web')).some((t) => t.ID === adopted[0].ID), { timeoutMs: 15_000 });

    // A clean stop ends the tasks; the next start replaces them in their slots.
    await shoald.stop();
    await shoald.start();
    await waitUntil('three running tasks again', async () => {
      const tasks = await runningTasks(shoald, 'web');
      return tasks.length === 3 && tasks.every((t) => t.Status.State === 'running') && tasks;
    }, { timeoutMs: 30_000, intervalMs: 300 });
    assertOnePerSlot(await runningTasks(shoald, 'web'), 3);
    assert.match((await shoald.docker(['service', 'ls'])).stdout, /web\s+replicated\s+3\/3/);
    await shoald.docker(['swarm', 'leave', '--force']);
  });
});
