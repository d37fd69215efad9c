import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalStore, mutable } from '../../../src/cluster/store/index.js';
import { deriveEndpointTable } from '../../../src/cluster/endpoints/derive.js';
import { bootstrapCluster } from '../../../src/cluster/membership/bootstrap.js';
import { createRootCA } from '../../../src/cluster/ca/certificates.js';
import { Allocator } from '../../../src/cluster/allocator/allocator.js';
import { newTask } from '../../../src/scheduler/orchestrator/new-task.js';
import { silentLogger } from '../../../src/util/logger.js';
import { systemClock, sleep } from '../../../src/util/clock.js';
import type { ServiceObject, TaskState } from '../../../src/cluster/types.js';

test('the endpoint table holds serving tasks only, with VIPs, ports and host addresses', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'shoal-endpoints-'));
  const store = LocalStore.open(dir, silentLogger);
  const allocator = new Allocator({ store, log: silentLogger, clock: systemClock, defaultAddrPool: ['10.0.0.0/8'], subnetSize: 24 });
  try {
    const rootCA = await createRootCA();
    await store.update((tx) =>
      bootstrapCluster(tx, {
        nodeId: 'node1',
        clusterId: 'cluster1',
        rootCA,
        advertiseAddr: '192.168.7.1',
        listenAddr: '0.0.0.0:2377',
        facts: { hostname: 'h1', ncpu: 2, memoryBytes: 1e9, kernelVersion: '6', os: 'linux', architecture: 'x86_64' },
      }),
    );
    allocator.start();
    const svc: ServiceObject = {
      ID: 'svc1', Version: { Index: 0 }, CreatedAt: '', UpdatedAt: '',
      Spec: { Name: 'web', TaskTemplate: { ContainerSpec: { Image: 'busybox' } }, Mode: { Replicated: { Replicas: 3 } }, EndpointSpec: { Mode: 'vip', Ports: [{ Protocol: 'tcp', TargetPort: 80, PublishedPort: 8080 }] } },
      Endpoint: { Spec: {} },
    };
    await store.update((tx) => {
      const s = tx.create('services', svc);
      for (const slot of [1, 2, 3]) tx.create('tasks', newTask(s, slot, Date.now()));
    });
    await sleep(50); // the allocator gives VIPs and task addresses
    const states: TaskState[] = ['running', 'running', 'starting'];
    await store.update((tx) => {
      tx.find('tasks', 'service', 'svc1').sort((a, b) => a.Slot! - b.Slot!).forEach((t, i) => {
        const c = mutable(t);
        c.NodeID = 'node1';
        c.Status = { ...c.Status, State: states[i] };
        if (i === 1) c.DesiredState = 'shutdown'; // told to stop: leaves the table first
        tx.update('tasks', c);
      });
    });
    const table = store.view((tx) => deriveEndpointTable(tx));
    assert.equal(table.version, store.view((tx) => tx.index));
    const ingress = table.networks.find((n) => n.ingress)!;
    assert.equal(ingress.subnet, '10.0.0.0/24');
    assert.equal(ingress.vni, 4096);
    assert.match(ingress.hostAddresses.node1, /^10\.0\.0\.\d+\/24$/);
    const web = table.services.find((s) => s.name === 'web')!;
    assert.deepEqual(web.ports, [{ protocol: 'tcp', targetPort: 80, publishedPort: 8080, mode: 'ingress' }]);
    assert.match(web.vips[ingress.networkId], /^10\.0\.0\.\d+\/24$/);
    assert.equal(table.tasks.length, 1, 'only the running task that is wanted running');
    assert.equal(table.tasks[0].slot, 1);
    assert.match(table.tasks[0].name, /^web\.1\.[0-9a-z]{25}$/);
    assert.match(table.tasks[0].addresses[ingress.networkId], /^10\.0\.0\.\d+\/24$/);
    assert.deepEqual(table.nodes, [{ nodeId: 'node1', hostname: 'h1', addr: '192.168.7.1' }]);
  } finally {
    await allocator.stop();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
