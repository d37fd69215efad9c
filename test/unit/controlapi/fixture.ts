import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootstrapCluster } from '../../../src/cluster/membership/bootstrap.js';
import { createRootCA } from '../../../src/cluster/ca/certificates.js';
import { LocalStore } from '../../../src/cluster/store/index.js';
import type { ServiceObject, ServiceSpec, TaskObject, TaskState } from '../../../src/cluster/types.js';
import { newTask } from '../../../src/scheduler/orchestrator/new-task.js';
import { silentLogger } from '../../../src/util/logger.js';
import { asClusterRootCA } from '../../../src/cluster/ca/root-ca.js';

export const NODE_ID = 'ggl7wi5iofu7806j51cdipfa2';

export interface StoreFixture {
  store: LocalStore;
  close(): Promise<void>;
}

/** A real store in a temp dir; with `swarm` (default) holding what `swarm init` writes: cluster, this node, ingress. */
export async function openStore(opts: { swarm?: boolean } = {}): Promise<StoreFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'shoal-store-'));
  const store = LocalStore.open(dir, silentLogger);
  if (opts.swarm !== false) {
    const rootCA = await createRootCA();
    await store.update((tx) =>
      bootstrapCluster(tx, {
        nodeId: NODE_ID,
        clusterId: 'cluster1',
        rootCA: asClusterRootCA(rootCA),
        advertiseAddr: '10.250.0.2',
        listenAddr: '0.0.0.0:2377',
        facts: { hostname: 'vm', ncpu: 2, memoryBytes: 25276510208, kernelVersion: '6.1.0', os: 'linux', architecture: 'x86_64' },
      }),
    );
  }
  return {
    store,
    close: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The spec `docker service create --name <name> localbusybox:1 ...` sends. */
export function cliServiceSpec(name: string, extra: Partial<ServiceSpec> = {}): ServiceSpec {
  return {
    Name: name,
    Labels: {},
    TaskTemplate: {
      ContainerSpec: { Image: 'localbusybox:1', Args: ['sleep', '3600'], Init: false, DNSConfig: {} },
      Resources: { Limits: {}, Reservations: {} },
      Placement: {},
      ForceUpdate: 0,
    },
    Mode: { Replicated: {} },
    EndpointSpec: { Mode: 'vip' },
    ...extra,
  };
}

/** A task as the orchestrator and agent would leave it, for reads and filters. */
export function runningTask(serviceId: string, slot: number, service: { Spec: ServiceSpec; SpecVersion?: { Index: number } }, state: TaskState = 'running'): TaskObject {
  const task = newTask({ ...service, ID: serviceId } as ServiceObject, slot, Date.now());
  return { ...task, NodeID: NODE_ID, Status: { ...task.Status, State: state, Message: 'started' } };
}
