import type { Store } from '../cluster/store/types.js';
import type { NodeObject, ServiceObject } from '../cluster/types.js';
import type { HostServiceView, ServiceViewRequest } from '../cluster/endpoints/service-view.js';
import type { DataPlane } from '../mesh/dataplane/index.js';
import type { DnsServer } from '../dns/index.js';
import { bareIpv4 } from '../mesh/dataplane/plan.js';
import { errorMessage } from '../util/errors.js';

/** This host's mesh and DNS for one service. */
export function localServiceView(nodeId: string, appliedVersion: number, mesh: DataPlane | undefined, dns: DnsServer | undefined, req: ServiceViewRequest): HostServiceView {
  const rules = mesh?.serviceRules(req.serviceId) ?? { vips: [], ports: [] };
  return {
    nodeId,
    appliedVersion,
    meshVersion: mesh?.version,
    dnsVersion: dns?.tableVersion ?? -1,
    mesh: {
      vips: rules.vips.map((v) => ({ vip: v.vip, networkId: v.networkId, backends: v.backends.map((b) => b.address) })),
      ports: rules.ports.map((p) => ({ protocol: p.protocol, port: p.port, targetPort: p.targetPort, mode: p.mode, backends: p.backends.map((b) => b.address) })),
    },
    dns: req.names.flatMap((name) => (dns?.addressesOf(name) ?? []).map((r) => ({ name, ...r }))),
  };
}

/** The names a service answers to in DNS: its name, `tasks.<name>`, and its aliases on each network. */
export function serviceNames(service: ServiceObject): string[] {
  const name = service.Spec.Name;
  const aliases = (service.Spec.TaskTemplate.Networks ?? service.Spec.Networks ?? []).flatMap((n) => n.Aliases ?? []);
  return [...new Set([name, `tasks.${name}`, ...aliases])];
}

/** What `GET /shoal/services/{id}/why` answers: the managers' view of a service and every host's. */
export interface ServiceWhy {
  ServiceID: string;
  ServiceName: string;
  /** The backends the managers' current endpoint table gives the service (running tasks' addresses by network). */
  Managers: { TableVersion?: number; Backends: { TaskID: string; NodeID: string; Addresses: Record<string, string> }[] };
  Hosts: (HostServiceView & { hostname: string; state: string; error?: string })[];
}

/**
 * Asks every host of the cluster (in parallel, each bounded by the call's deadline) what it holds for `service`.
 * `tableVersion` is the managers' current endpoint table version when this manager is the one dispatching;
 * elsewhere the newest version the hosts' last reports were compared with stands in.
 */
export async function serviceWhy(store: Store, service: ServiceObject, tableVersion: number | undefined, ask: (node: NodeObject, req: ServiceViewRequest) => Promise<HostServiceView>): Promise<ServiceWhy> {
  const { nodes, tasks } = store.view((tx) => ({ nodes: tx.list('nodes'), tasks: tx.find('tasks', 'service', service.ID) }));
  const req = { serviceId: service.ID, names: serviceNames(service) };
  const running = tasks.filter((t) => t.DesiredState === 'running' && t.Status.State === 'running' && t.NodeID);
  const hosts = await Promise.all(
    nodes.map(async (n) => {
      const base = { hostname: n.Description?.Hostname ?? n.ID, state: n.Status.State };
      try {
        return { ...base, ...(await ask(n, req)) };
      } catch (err) {
        return { ...base, nodeId: n.ID, appliedVersion: n.EndpointTableVersions?.Applied ?? -1, dnsVersion: -1, mesh: { vips: [], ports: [] }, dns: [], error: errorMessage(err) };
      }
    }),
  );
  const reported = nodes.map((n) => n.EndpointTableVersions?.Managers ?? 0);
  const managersVersion = tableVersion ?? (Math.max(0, ...reported) || undefined);
  return {
    ServiceID: service.ID,
    ServiceName: service.Spec.Name,
    Managers: {
      TableVersion: managersVersion,
      Backends: running.map((t) => ({
        TaskID: t.ID,
        NodeID: t.NodeID!,
        Addresses: Object.fromEntries((t.NetworksAttachments ?? []).flatMap((a) => (a.Addresses ?? []).map((addr) => [a.Network.ID, bareIpv4(addr) ?? addr]))),
      })),
    },
    Hosts: hosts,
  };
}
