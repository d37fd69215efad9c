import type { EndpointTable, ServiceEndpoint, TaskEndpoint } from '../../cluster/endpoints/types.js';
import { backendAt, byTaskId, isPort, tasksByService, type Backend, type PortRule } from '../dataplane/plan.js';

/**
 * The ports host `nodeId` publishes. Ingress ports (Docker's routing mesh) are served on every host
 * and balanced over all the service's tasks by their address on the ingress network; host-mode ports
 * only where a task of the service runs, to that host's tasks. A port claimed twice (the managers
 * refuse that) goes to the service with the lower ID, so every host picks the same one.
 */
export function publishedPorts(table: EndpointTable, nodeId: string): PortRule[] {
  const ingress = table.networks.find((n) => n.ingress)?.networkId;
  const tasks = tasksByService(table.tasks);
  const rules = new Map<string, PortRule>();
  for (const s of [...table.services].sort((a, b) => (a.serviceId < b.serviceId ? -1 : 1))) {
    for (const p of s.ports) {
      if ((p.protocol !== 'tcp' && p.protocol !== 'udp') || !isPort(p.publishedPort) || !isPort(p.targetPort)) continue;
      const key = `${p.protocol}/${p.publishedPort}`;
      if (rules.has(key)) continue;
      const own = tasks.get(s.serviceId) ?? [];
      let backends: Backend[];
      if (p.mode === 'host') {
        backends = own.filter((t) => t.nodeId === nodeId).flatMap((t) => backendAt(t, hostModeAddress(t, s)));
        if (backends.length === 0) continue;
      } else {
        if (!ingress) continue;
        backends = own.flatMap((t) => backendAt(t, t.addresses[ingress]));
      }
      const rule: PortRule = { protocol: p.protocol, port: p.publishedPort, targetPort: p.targetPort, mode: p.mode, serviceId: s.serviceId, service: s.name, backends: backends.sort(byTaskId) };
      if (p.proxyProtocol && p.protocol === 'tcp') rule.proxyProtocol = p.proxyProtocol;
      if (p.affinity) rule.affinity = p.affinity;
      rules.set(key, rule);
    }
  }
  return [...rules.values()];
}

/** A host-mode port reaches the local task on the first of the service's networks it has an address on. */
function hostModeAddress(t: TaskEndpoint, s: ServiceEndpoint): string | undefined {
  for (const n of s.networks) if (t.addresses[n]) return t.addresses[n];
  return Object.values(t.addresses)[0];
}
