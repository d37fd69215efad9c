import { test } from 'node:test';
import assert from 'node:assert/strict';
import Docker from 'dockerode';
import { withLab, waitUntil } from '../lab/index.js';
import { ShoaldInHost } from './shoald-harness.js';

// The same scenario as the CLI walkthrough, driven through an SDK.
test('dockerode drives a single-host swarm', async () => {
  await withLab({ hosts: 1 }, async (lab) => {
    const shoald = new ShoaldInHost(lab, 'h1', ['--advertise-addr', lab.host('h1').address]);
    await shoald.start();
    const docker = new Docker({ socketPath: shoald.socket });
    assert.equal((await docker.version()).ApiVersion, '1.41');
    const nodeId = await docker.swarmInit({ ListenAddr: '0.0.0.0:2377', AdvertiseAddr: lab.host('h1').address });
    assert.match(String(nodeId), /^[0-9a-z]{25}$/);
    await shoald.importBusybox();

    const net = await docker.createNetwork({ Name: 'appnet', Driver: 'overlay', Attachable: true, CheckDuplicate: true });
    assert.match(net.id, /^[0-9a-z]{25}$/);
    const service = await docker.createService({
      Name: 'ping_app',
      TaskTemplate: { ContainerSpec: { Image: 'busybox:latest', Args: ['ping', '127.0.0.1'] }, Networks: [{ Target: 'appnet' }] },
      Mode: { Replicated: { Replicas: 2 } },
    });
    const running = async (n: number) =>
      waitUntil(`${n} running`, async () => {
        const tasks = await docker.listTasks({ filters: { service: ['ping_app'], 'desired-state': ['running'] } });
        return tasks.length === n && tasks.every((t) => t.Status?.State === 'running');
      }, { timeoutMs: 20_000, intervalMs: 200 });
    await running(2);

    const info = await service.inspect();
    await service.update({ ...info.Spec, version: info.Version.Index, Mode: { Replicated: { Replicas: 3 } } });
    await running(3);
    const stale = service.update({ ...info.Spec, version: info.Version.Index, Mode: { Replicated: { Replicas: 1 } } });
    await assert.rejects(stale, /update out of sequence/);

    const services = await docker.listServices({ filters: { name: ['ping_app'] } });
    assert.equal(services.length, 1);
    const nodes = await docker.listNodes();
    assert.equal(nodes[0].Status?.State, 'ready');

    await service.remove();
    await waitUntil('tasks removed', async () => (await docker.listTasks()).every((t) => t.ServiceID !== service.id), { timeoutMs: 20_000 });
    await docker.swarmLeave({ force: true });
    const after = await docker.info();
    assert.equal(after.Swarm.LocalNodeState, 'inactive');
  });
});
