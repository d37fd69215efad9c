import { isIPv4 } from 'node:net';
import type { EndpointTable, TaskEndpoint } from '../../cluster/endpoints/types.js';
import type { ProxyProtocol } from '../proxy-protocol/header.js';
import { publishedPorts } from '../ingress/published-ports.js';
import { serviceVips } from '../vip/service-vips.js';

/** Layer-4 protocols the data plane balances (SCTP ports in a table are left out). */
export type L4Protocol = 'tcp' | 'udp';

/** One task that may receive new connections, by its bare address on the network it is reached on. */
export interface Backend {
  taskId: string;
  address: string;
}

/** A port published on this host, balanced over `backends` (all tasks for ingress, local tasks for host mode). */
export interface PortRule {
  protocol: L4Protocol;
  /** The port clients connect to on any of this host's addresses. */
  port: number;
  targetPort: number;
  mode: 'ingress' | 'host';
  serviceId: string;
  service: string;
  /** Sorted by task ID, so equal tables give equal plans. */
  backends: Backend[];
  /** TCP only: each connection sends its backend this PROXY protocol header first (served by the userspace proxy, whatever the data plane). */
  proxyProtocol?: ProxyProtocol;
  /** Client-IP affinity timeout in seconds: a client address's new connections go to the backend of its last one, until idle that long. */
  affinity?: number;
}

/** A service's VIP on one network: any port, TCP and UDP, to the same port on one of `backends`. */
export interface VipRule {
  /** The bare VIP, e.g. 10.0.1.5. */
  vip: string;
  networkId: string;
  serviceId: string;
  service: string;
  /**
   * The ports a proxy listens on (the service's target ports); the kernel backend forwards every
   * port and ignores this.
   */
  ports: { protocol: L4Protocol; port: number }[];
  backends: Backend[];
}

/** What the data plane of one host serves for one table version. Pure data: both backends are driven by it. */
export interface DataPlanePlan {
  version: number;
  ports: PortRule[];
  vips: VipRule[];
  /** Addresses of tasks that drain: out of every rule, but their established connections go on. */
  draining: string[];
}

/** The plan of host `nodeId` for `table`. */
export function planDataPlane(table: EndpointTable, nodeId: string): DataPlanePlan {
  const draining = table.tasks.filter((t) => t.draining).flatMap((t) => Object.values(t.addresses).flatMap((a) => bareIpv4(a) ?? []));
  return { version: table.version, ports: publishedPorts(table, nodeId), vips: serviceVips(table), draining };
}

/** "10.0.1.7/24" → "10.0.1.7"; undefined for anything that is not an IPv4 address. */
export function bareIpv4(address: string | undefined): string | undefined {
  if (!address) return undefined;
  const slash = address.indexOf('/');
  const ip = slash < 0 ? address : address.slice(0, slash);
  return isIPv4(ip) ? ip : undefined;
}

export const isPort = (p: number): boolean => Number.isInteger(p) && p > 0 && p < 65536;

export const byTaskId = (a: Backend, b: Backend): number => (a.taskId < b.taskId ? -1 : a.taskId > b.taskId ? 1 : 0);

/** The tasks that take new connections, by service: draining ones are left out. */
export function tasksByService(tasks: readonly TaskEndpoint[]): Map<string, TaskEndpoint[]> {
  const by = new Map<string, TaskEndpoint[]>();
  for (const t of tasks) {
    if (t.draining) continue;
    const list = by.get(t.serviceId);
    if (list) list.push(t);
    else by.set(t.serviceId, [t]);
  }
  return by;
}

/** The task as a backend at `address` (its address on some network), or nothing when it has none there. */
export function backendAt(t: TaskEndpoint, address: string | undefined): Backend[] {
  const ip = bareIpv4(address);
  return ip ? [{ taskId: t.taskId, address: ip }] : [];
}
