import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalStore, mutable } from '../../../src/cluster/store/index.js';
import { GOODBYE_MESSAGE, deriveEndpointTable, isDraining, isServing } from '../../../src/cluster/endpoints/derive.js';
import { UNHEALTHY_ERR } from '../../../src/cluster/task-health.js';
import { NODE_ID, cliServiceSpec, openStore, runningTask } from '../controlapi/fixture.js';
import { publishedPorts } from '../../../src/mesh/ingress/published-ports.js';
import { serviceVips } from '../../../src/mesh/vip/service-vips.js';
import { networkNames } from '../../../src/dns/names/network-names.js';
import { desiredOverlay } from '../../../src/mesh/overlay/desired.js';
import { bootstrapCluster } from '../../../src/cluster/membership/bootstrap.js';
import { createRootCA } from '../../../src/cluster/ca/certificates.js';
import { Allocator } from '../../../src/cluster/allocator/allocator.js';
import { newTask } from '../../../src/scheduler/orchestrator/new-task.js';
import { silentLogger } from '../../../src/util/logger.js';
import { systemClock, sleep } from '../../../src/util/clock.js';
import type { ServiceObject, TaskObject, TaskState } from '../../../src/cluster/types.js';
import { asClusterRootCA } from '../../../src/cluster/ca/root-ca.js';

test('the endpoint table holds serving and draining tasks, with VIPs, ports and host addresses; only serving ones get connections and names', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'shoal-endpoints-'));
  const store = LocalStore.open(dir, silentLogger);
  const allocator = new Allocator({ store, log: silentLogger, clock: systemClock, defaultAddrPool: ['10.0.0.0/8'], subnetSize: 24 });
  try {
    const rootCA = await createRootCA();
    await store.update((tx) =>
      bootstrapCluster(tx, {
        nodeId: 'node1',
        clusterId: 'cluster1',
        rootCA: asClusterRootCA(rootCA),
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
    // The running task wanted running serves; the one told to stop drains; the starting one is not there yet.
    assert.deepEqual(table.tasks.map((t) => [t.slot, t.draining ?? false]), [[1, false], [2, true]]);
    assert.match(table.tasks[0].name, /^web\.1\.[0-9a-z]{25}$/);
    assert.match(table.tasks[0].addresses[ingress.networkId], /^10\.0\.0\.\d+\/24$/);
    // A draining task takes no new connections and has no name, but its host stays reachable over the overlay.
    const port = publishedPorts(table, 'node1')[0]!;
    assert.deepEqual(port.backends.map((b) => b.taskId), [table.tasks[0].taskId]);
    // (The ingress network has no VIP rules and publishes no names: seen as an ordinary network here.)
    const asAppnet = { ...table, networks: table.networks.map((n) => ({ ...n, ingress: false })) };
    assert.deepEqual(serviceVips(asAppnet).flatMap((v) => v.backends.map((b) => b.taskId)), [table.tasks[0].taskId]);
    const names = networkNames(asAppnet, { service: 600, task: 600 }).find((n) => n.network.networkId === ingress.networkId)!;
    assert.deepEqual(names.forward.get('tasks.web')?.addresses, [table.tasks[0].addresses[ingress.networkId].split('/')[0]], 'tasks.web leaves the draining task out');
    const withNode2 = {
      ...table,
      nodes: [...table.nodes, { nodeId: 'node2', hostname: 'h2', addr: '192.168.7.2' }],
      networks: table.networks.map((n) => ({ ...n, hostAddresses: { ...n.hostAddresses, node2: '10.0.0.250/24' } })),
    };
    const overlay = desiredOverlay(withNode2, 'node2', new Map());
    assert.ok(overlay.entries.get(ingress.vni)!.neigh.has(table.tasks[1].addresses[ingress.networkId].split('/')[0]), 'the overlay still reaches it');
    assert.deepEqual(table.nodes, [{ nodeId: 'node1', hostname: 'h1', addr: '192.168.7.1' }]);
  } finally {
    await allocator.stop();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('deriving the table reads only the running tasks, not the history of finished ones', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'shoal-endpoints-'));
  const store = LocalStore.open(dir, silentLogger);
  try {
    const svc: ServiceObject = {
      ID: 'svc1', Version: { Index: 0 }, CreatedAt: '', UpdatedAt: '',
      Spec: { Name: 'web', TaskTemplate: { ContainerSpec: { Image: 'busybox' } }, Mode: { Replicated: { Replicas: 2 } } },
      Endpoint: { Spec: {} },
    };
    // 500 finished tasks (told to shut down: the history a long-lived cluster keeps) and 2 running ones.
    await store.update((tx) => {
      const s = tx.create('services', svc);
      for (let i = 0; i < 502; i++) {
        const t = mutable(newTask(s, (i % 2) + 1, Date.now()));
        t.NodeID = 'node1';
        t.Status = { ...t.Status, State: i < 500 ? 'shutdown' : 'running' };
        t.DesiredState = i < 500 ? 'shutdown' : 'running';
        tx.create('tasks', t);
      }
    });
    let read = 0;
    const table = store.view((tx) => deriveEndpointTable(new Proxy(tx, {
      get(target, prop) {
        const value = Reflect.get(target, prop) as unknown;
        if (prop !== 'find' && prop !== 'list') return typeof value === 'function' ? value.bind(target) : value;
        return (table: string, ...rest: string[]) => {
          const rows = (value as (...a: string[]) => unknown[]).call(target, table, ...rest);
          if (table === 'tasks') read += rows.length;
          return rows;
        };
      },
    })));
    assert.equal(read, 2, 'only the two running tasks are read');
    assert.equal(table.tasks.length, 0, 'node1 is not a ready node here: no task serves');
    // A task that stops running leaves the index: the next derive does not read it either.
    await store.update((tx) => {
      const t = mutable(tx.find('tasks', 'state', 'running')[0]!);
      t.Status = { ...t.Status, State: 'complete' };
      tx.update('tasks', t);
    });
    assert.equal(store.view((tx) => tx.find('tasks', 'state', 'running').length), 1);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a running task that failed its health check drains like one told to stop: no new connections, still reachable', () => {
  const running = (Err?: string, DesiredState: TaskState = 'running') => ({ Status: { State: 'running', Message: '', Timestamp: '', PortStatus: {}, ...(Err ? { Err } : {}) }, DesiredState }) as TaskObject;
  assert.deepEqual([isServing(running(), true), isDraining(running())], [true, false]);
  assert.deepEqual([isServing(running(UNHEALTHY_ERR), true), isDraining(running(UNHEALTHY_ERR))], [false, true]);
  assert.deepEqual([isServing(running(UNHEALTHY_ERR, 'shutdown'), true), isDraining(running(UNHEALTHY_ERR, 'shutdown'))], [false, true]);
});

test('the tasks of a host that said goodbye drain (no new connections, established ones finish); a lost host\'s leave the table', async () => {
  const { store, close } = await openStore();
  try {
    const svc = { Spec: cliServiceSpec('web') };
    await store.update((tx) => tx.create('tasks', runningTask('svc1', 1, svc)));
    const downAs = async (message: string) => {
      await store.update((tx) => {
        const n = mutable(tx.get('nodes', NODE_ID)!);
        n.Status = { ...n.Status, State: 'down', Message: message };
        tx.update('nodes', n);
      });
      return store.view((tx) => deriveEndpointTable(tx)).tasks.map((t) => [t.slot, t.draining ?? false]);
    };
    assert.deepEqual(store.view((tx) => deriveEndpointTable(tx)).tasks.map((t) => [t.slot, t.draining ?? false]), [[1, false]]);
    assert.deepEqual(await downAs(GOODBYE_MESSAGE), [[1, true]], 'its host stops it once every host has it draining');
    assert.deepEqual(await downAs('heartbeat failure'), [], 'a lost host\'s tasks leave the mesh at once');
  } finally {
    await close();
  }
});
