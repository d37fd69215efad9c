import { bareIpv4 } from '../../mesh/dataplane/plan.js';
import { invalidArgument, notFound } from '../../util/errors.js';
import { taskName } from '../endpoints/derive.js';
import type { ReadTx } from '../store/types.js';
import type { ServiceObject, TaskObject } from '../types.js';

/** What a trace asks a host's data plane: a published port, or a VIP and port. */
export interface TraceTarget {
  protocol: 'tcp' | 'udp';
  port: number;
  vip?: string;
}

/** One host a new connection from the client would enter the mesh at, and by which entry point. */
export interface TraceHop {
  nodeId: string;
  hostname: string;
  addr: string;
  /** How the client reaches the service there, in words. */
  via: string;
  target: TraceTarget;
}

export interface TracePlan {
  /** Who the client is, in words. */
  client: string;
  service: { id: string; name: string };
  hops: TraceHop[];
}

export interface TraceRequest {
  client: string;
  service: string;
  protocol?: 'tcp' | 'udp';
  port?: number;
}

/**
 * Where a new connection from `client` to `service` enters the mesh, from the store: a task's
 * address connects from its host, to the service's VIP on a network they share (else to a published
 * port on its host); a host's address connects to the published port on that host; any other address
 * is outside, and reaches the published port of whichever host it connects to (every host is listed).
 */
export function planTrace(tx: ReadTx, req: TraceRequest): TracePlan {
  const client = bareIpv4(req.client);
  if (!client) throw invalidArgument(`client address "${req.client}" is not an IPv4 address`);
  const service = tx.find('services', 'name', req.service)[0] ?? tx.get('services', req.service) ?? tx.list('services').find((s) => s.ID.startsWith(req.service));
  if (!service) throw notFound(`service ${req.service} not found`);
  const protocol = req.protocol ?? 'tcp';
  const nodes = tx.list('nodes');
  const hop = (nodeId: string, via: string, target: TraceTarget): TraceHop => {
    const n = nodes.find((x) => x.ID === nodeId);
    return { nodeId, hostname: n?.Description.Hostname ?? nodeId, addr: n?.Status.Addr ?? '', via, target };
  };
  const ref = { id: service.ID, name: service.Spec.Name };

  const task = tx.list('tasks').find((t) => t.Status.State === 'running' && t.NetworksAttachments?.some((a) => bareIpv4(a.Addresses[0]) === client));
  if (task?.NodeID) {
    const names = new Map(tx.list('services').map((s) => [s.ID, s.Spec.Name]));
    const who = `${client}: task ${taskName(names.get(task.ServiceID) ?? task.ServiceID, task)} on host ${hop(task.NodeID, '', { protocol, port: 0 }).hostname}`;
    const shared = sharedVip(service, task);
    if (shared) {
      const port = req.port ?? targetPort(service, protocol);
      return { client: who, service: ref, hops: [hop(task.NodeID, `VIP ${shared.vip} on network ${shared.network}, port ${port}/${protocol}`, { protocol, port, vip: shared.vip })] };
    }
    const port = req.port ?? publishedPort(service, protocol);
    return { client: who, service: ref, hops: [hop(task.NodeID, `published port ${port}/${protocol} on its own host (it shares no network with the service)`, { protocol, port })] };
  }
  const node = nodes.find((n) => n.Status.Addr === client);
  const port = req.port ?? publishedPort(service, protocol);
  if (node) return { client: `${client}: host ${node.Description.Hostname}`, service: ref, hops: [hop(node.ID, `published port ${port}/${protocol} on this host`, { protocol, port })] };
  const ready = nodes.filter((n) => n.Status.State === 'ready');
  return {
    client: `${client}: outside the cluster (it enters at whichever host it connects to)`,
    service: ref,
    hops: ready.map((n) => hop(n.ID, `published port ${port}/${protocol} on ${n.Description.Hostname} (${n.Status.Addr}:${port})`, { protocol, port })),
  };
}

/** The service's VIP on a network the task is on (the ingress network carries no VIP traffic). */
function sharedVip(service: ServiceObject, task: TaskObject): { vip: string; network: string } | undefined {
  for (const a of task.NetworksAttachments ?? []) {
    if (a.Network.Spec.Ingress) continue;
    const v = service.Endpoint?.VirtualIPs?.find((x) => x.NetworkID === a.Network.ID);
    const vip = bareIpv4(v?.Addr);
    if (vip) return { vip, network: a.Network.Spec.Name };
  }
  return undefined;
}

function publishedPort(service: ServiceObject, protocol: string): number {
  const p = service.Endpoint?.Ports?.find((x) => (x.Protocol ?? 'tcp') === protocol && x.PublishedPort);
  if (!p?.PublishedPort) throw invalidArgument(`service ${service.Spec.Name} publishes no ${protocol} port: a client outside its networks cannot reach it (give --port to trace another)`);
  return p.PublishedPort;
}

function targetPort(service: ServiceObject, protocol: string): number {
  const p = service.Endpoint?.Ports?.find((x) => (x.Protocol ?? 'tcp') === protocol && x.TargetPort);
  if (!p?.TargetPort) throw invalidArgument(`service ${service.Spec.Name} declares no ${protocol} port: say which port the client connects to (--port)`);
  return p.TargetPort;
}
