import type { ReadTx } from '../store/index.js';
import type { TaskObject } from '../types.js';
import { isUnhealthy } from '../task-health.js';
import { VXLAN_ID_OPTION } from '../allocator/allocator.js';
import { serviceNetworkIds } from '../allocator/service-networks.js';
import { AFFINITY_LABEL } from './affinity.js';
import { portLabelValue } from './port-labels.js';
import { PROXY_PROTOCOL_LABEL } from './proxy-protocol.js';
import type { EndpointTable, NetworkEndpoint, ServiceEndpoint, TaskEndpoint } from './types.js';

/**
 * Whether a task may get new connections: running, wanted running and healthy (a task told to
 * stop, or failing its health check, leaves the table before it stops), and on a node that is up.
 */
export function isServing(task: TaskObject, nodeUp: boolean): boolean {
  return nodeUp && task.Status.State === 'running' && task.DesiredState === 'running' && !isUnhealthy(task);
}

/** Told to stop, or failed its health check, but still running: no new connections while its established ones finish. */
export function isDraining(task: TaskObject): boolean {
  return task.Status.State === 'running' && (task.DesiredState === 'shutdown' || task.DesiredState === 'remove' || isUnhealthy(task));
}

/** The Down message of a host that said goodbye (its `shoald` stopping cleanly): its tasks still run while they stop. */
export const GOODBYE_MESSAGE = 'shoald stopped';

/** `web.1.<id>` for replicated tasks, `web.<nodeid>.<id>` for global ones, as Docker names them. */
export function taskName(serviceName: string, task: TaskObject): string {
  return `${serviceName}.${task.Slot && task.Slot > 0 ? task.Slot : task.NodeID}.${task.ID}`;
}

/** Derives the endpoint table from the store, as of `tx.index`. Pure: same store, same table. */
export function deriveEndpointTable(tx: ReadTx): EndpointTable {
  const nodes = tx.list('nodes');
  const up = new Set(nodes.filter((n) => n.Status.State === 'ready').map((n) => n.ID));
  // A host that said goodbye stops its tasks once every host dropped them: until then they drain
  // (no new connections, established ones finish). A lost host's tasks leave at once, their flows cleared.
  const leaving = new Set(nodes.filter((n) => n.Status.State === 'down' && n.Status.Message === GOODBYE_MESSAGE).map((n) => n.ID));
  const networks: NetworkEndpoint[] = [];
  for (const n of tx.list('networks')) {
    const vni = Number(n.DriverState.Options[VXLAN_ID_OPTION]);
    const subnet = n.IPAMOptions.Configs[0]?.Subnet;
    if (!vni || !subnet) continue; // not allocated yet
    const hostAddresses: Record<string, string> = {};
    for (const node of nodes) {
      const a = node.Attachments?.find((x) => x.NetworkID === n.ID);
      if (a) hostAddresses[node.ID] = a.Addr;
    }
    networks.push({ networkId: n.ID, name: n.Spec.Name, vni, subnet, ingress: !!n.Spec.Ingress, internal: !!n.Spec.Internal, attachable: !!n.Spec.Attachable, hostAddresses });
  }
  const services: ServiceEndpoint[] = [];
  const names = new Map<string, string>();
  for (const s of tx.list('services')) {
    names.set(s.ID, s.Spec.Name);
    const nets = s.Spec.TaskTemplate.Networks?.length ? s.Spec.TaskTemplate.Networks : (s.Spec.Networks ?? []);
    const aliases: Record<string, string[]> = {};
    for (const n of nets) if (n.Aliases?.length) aliases[n.Target] = [...n.Aliases];
    const vips: Record<string, string> = {};
    for (const v of s.Endpoint?.VirtualIPs ?? []) vips[v.NetworkID] = v.Addr;
    const ports = (s.Endpoint?.Ports ?? []).map((p) => ({ protocol: p.Protocol ?? 'tcp', targetPort: p.TargetPort ?? 0, publishedPort: p.PublishedPort ?? 0, mode: p.PublishMode ?? 'ingress' }));
    services.push({
      serviceId: s.ID,
      name: s.Spec.Name,
      mode: s.Spec.EndpointSpec?.Mode ?? 'vip',
      ports: ports.map((p) => {
        const proxyProtocol = portLabelValue(PROXY_PROTOCOL_LABEL, s.Spec.Labels, p);
        const affinity = portLabelValue(AFFINITY_LABEL, s.Spec.Labels, p);
        return { ...p, ...(proxyProtocol ? { proxyProtocol } : {}), ...(affinity ? { affinity } : {}) };
      }),
      vips,
      aliases,
      networks: [...new Set([...Object.keys(vips), ...serviceNetworkIds(s.Spec)])],
    });
  }
  const tasks: TaskEndpoint[] = [];
  // Only running tasks serve or drain: the state index keeps this walk to them, not the history.
  for (const t of tx.find('tasks', 'state', 'running')) {
    if (!t.NodeID || !(up.has(t.NodeID) || leaving.has(t.NodeID))) continue;
    const draining = isDraining(t) || leaving.has(t.NodeID);
    if (!draining && !isServing(t, true)) continue;
    const addresses: Record<string, string> = {};
    for (const a of t.NetworksAttachments ?? []) if (a.Addresses[0]) addresses[a.Network.ID] = a.Addresses[0];
    tasks.push({
      taskId: t.ID,
      serviceId: t.ServiceID,
      name: taskName(names.get(t.ServiceID) ?? t.ServiceID, t),
      ...(t.Slot ? { slot: t.Slot } : {}),
      nodeId: t.NodeID,
      addresses,
      ...(draining ? { draining: true as const } : {}),
    });
  }
  return {
    version: tx.index,
    nodes: nodes.map((n) => ({ nodeId: n.ID, hostname: n.Description.Hostname, addr: n.Status.Addr })),
    networks,
    services,
    tasks,
  };
}
