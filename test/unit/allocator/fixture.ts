import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { Allocator } from '../../../src/cluster/allocator/allocator.js';
import { createNetwork, type NetworkCreateRequest } from '../../../src/cluster/controlapi/networks.js';
import { createService } from '../../../src/cluster/controlapi/services.js';
import { LocalStore } from '../../../src/cluster/store/index.js';
import type { NodeObject, ServiceObject, ServiceSpec, TaskObject } from '../../../src/cluster/types.js';
import { newTask } from '../../../src/scheduler/orchestrator/new-task.js';
import { systemClock } from '../../../src/util/clock.js';
import { silentLogger, type Logger } from '../../../src/util/logger.js';

export const NODE = 'node1';

/** A real store in a temp dir with one node, and a real Allocator on it (restartable); warnings kept. */
export class AllocatorFixture {
  readonly store: LocalStore;
  readonly warnings: string[] = [];
  allocator: Allocator;
  private readonly dir: string;
  private readonly log: Logger;

  constructor(
    private readonly pool: { defaultAddrPool: string[]; subnetSize: number } = { defaultAddrPool: ['10.0.0.0/8'], subnetSize: 24 },
  ) {
    this.dir = mkdtempSync(join(tmpdir(), 'shoal-alloc-'));
    this.store = LocalStore.open(this.dir, silentLogger);
    const sink = new Writable({
      write: (chunk: Buffer, _enc, done) => {
        this.warnings.push((JSON.parse(chunk.toString()) as { msg: string }).msg);
        done();
      },
    });
    this.log = pino({ level: 'warn' }, sink);
    this.allocator = this.newAllocator();
  }

  private newAllocator(): Allocator {
    return new Allocator({ store: this.store, log: this.log, clock: systemClock, ...this.pool });
  }

  async start(): Promise<this> {
    await this.store.update((tx) => tx.create('nodes', node(NODE)));
    this.allocator.start();
    return this;
  }

  /** Stops the allocator and starts a new one on the same store: a manager restart or a new leader. */
  async restart(): Promise<void> {
    await this.allocator.stop();
    this.allocator = this.newAllocator();
    this.allocator.start();
  }

  network(req: Omit<NetworkCreateRequest, 'Driver'>) {
    return this.store.update((tx) => createNetwork(tx, { Driver: 'overlay', ...req }));
  }

  service(name: string, networks: string[], extra: Partial<ServiceSpec> = {}): Promise<ServiceObject> {
    return this.store.update((tx) => createService(tx, serviceSpec(name, networks, extra)));
  }

  /** `n` new tasks of a service on the node, in one transaction. */
  addTasks(service: ServiceObject, n: number): Promise<TaskObject[]> {
    return this.store.update((tx) => Array.from({ length: n }, (_, i) => tx.create('tasks', { ...newTask(service, i + 1, Date.now()), NodeID: NODE })));
  }

  /** Moves tasks to a state (e.g. complete: their addresses are free again). */
  setState(ids: readonly string[], state: TaskObject['Status']['State']): Promise<void> {
    return this.store.update((tx) => {
      for (const id of ids) {
        const t = tx.get('tasks', id)!;
        tx.update('tasks', { ...t, Status: { ...t.Status, State: state } });
      }
    });
  }

  tasks(): TaskObject[] {
    return this.store.view((tx) => tx.list('tasks'));
  }

  /** Polls until `check` holds (the allocator works on its own schedule). */
  async until(what: string, check: () => boolean, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 2));
    }
  }

  /** Until no task waits for addresses (allocated, or told why not). */
  settled(): Promise<void> {
    return this.until('the allocator to settle', () => this.tasks().every((t) => t.Status.State !== 'new' || !!t.Status.Err));
  }

  async close(): Promise<void> {
    await this.allocator.stop();
    await this.store.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function node(id: string): NodeObject {
  return {
    ID: id,
    Version: { Index: 0 },
    CreatedAt: '',
    UpdatedAt: '',
    Spec: { Labels: {}, Role: 'manager', Availability: 'active' },
    Description: {
      Hostname: id,
      Platform: { Architecture: 'x86_64', OS: 'linux' },
      Resources: { NanoCPUs: 2e9, MemoryBytes: 2 ** 31 },
      Engine: { EngineVersion: 'test', Plugins: [] },
      TLSInfo: { TrustRoot: '', CertIssuerSubject: '', CertIssuerPublicKey: '' },
    },
    Status: { State: 'ready', Addr: '192.168.77.1' },
  };
}

function serviceSpec(name: string, networks: string[], extra: Partial<ServiceSpec>): ServiceSpec {
  return {
    Name: name,
    Labels: {},
    TaskTemplate: { ContainerSpec: { Image: 'busybox' }, Networks: networks.map((Target) => ({ Target })) },
    Mode: { Replicated: { Replicas: 1 } },
    EndpointSpec: { Mode: 'vip' },
    ...extra,
  };
}

/** Addresses held on a network by tasks that have not finished, without prefix. */
export function liveTaskAddresses(tasks: readonly TaskObject[], networkId: string): string[] {
  return tasks
    .filter((t) => ['pending', 'assigned', 'accepted', 'preparing', 'ready', 'starting', 'running'].includes(t.Status.State))
    .flatMap((t) => t.NetworksAttachments?.find((a) => a.Network.ID === networkId)?.Addresses ?? [])
    .map((a) => a.split('/')[0]!);
}
