import type { NodeObject, ServiceObject, TaskObject } from '../cluster/types.js';
import { isRunDesired } from './task-states.js';

/** What a node has left and runs, as the scheduler's filters and spreading see it. */
export class NodeInfo {
  freeNanoCPUs: number;
  freeMemoryBytes: number;
  /** Tasks on the node the managers still want running, all services together. */
  activeTasks = 0;
  private readonly activeByService = new Map<string, number>();
  /** Host-mode published ports in use, as `protocol/port`. */
  readonly hostPorts = new Set<string>();

  constructor(readonly node: NodeObject) {
    this.freeNanoCPUs = node.Description?.Resources?.NanoCPUs ?? 0;
    this.freeMemoryBytes = node.Description?.Resources?.MemoryBytes ?? 0;
  }

  /** Accounts for a task placed here (already there, or just assigned by the scheduler). */
  add(task: TaskObject, hostPorts: readonly string[]): void {
    const r = task.Spec.Resources?.Reservations;
    this.freeNanoCPUs -= r?.NanoCPUs ?? 0;
    this.freeMemoryBytes -= r?.MemoryBytes ?? 0;
    for (const p of hostPorts) this.hostPorts.add(p);
    if (isRunDesired(task.DesiredState)) {
      this.activeTasks++;
      this.activeByService.set(task.ServiceID, this.tasksOf(task.ServiceID) + 1);
    }
  }

  tasksOf(serviceId: string): number {
    return this.activeByService.get(serviceId) ?? 0;
  }
}

/** A service's host-mode published ports, as `protocol/port` (what a node can hold only once). */
export function hostPortsOf(service: ServiceObject | undefined): string[] {
  const ports = service?.Endpoint?.Ports ?? service?.Spec.EndpointSpec?.Ports ?? [];
  return ports.filter((p) => p.PublishMode === 'host' && p.PublishedPort).map((p) => `${p.Protocol ?? 'tcp'}/${p.PublishedPort}`);
}
