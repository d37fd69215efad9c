import type { ProxyProtocol } from '../../mesh/proxy-protocol/header.js';

/**
 * The endpoint table: everything the data plane (mesh, VIPs, overlay forwarding) and the
 * embedded DNS of every host need to know, derived from the store by the managers and pushed,
 * versioned, to every host. Flat lists, so hosts can diff versions cheaply.
 */
export interface EndpointTable {
  /** The store index the table was derived at; a host applies tables in increasing order. */
  version: number;
  /** Unix ms at which the leader applied the first store change this table carries (for the commit → rules live time). */
  committedAt?: number;
  nodes: NodeEndpoint[];
  networks: NetworkEndpoint[];
  services: ServiceEndpoint[];
  /** Only tasks that may receive new connections: running, wanted running, healthy, on a live node. */
  tasks: TaskEndpoint[];
}

export interface NodeEndpoint {
  nodeId: string;
  hostname: string;
  /** Underlay address other hosts reach it at (VXLAN destination). */
  addr: string;
}

export interface NetworkEndpoint {
  networkId: string;
  name: string;
  vni: number;
  /** e.g. 10.0.1.0/24 */
  subnet: string;
  ingress: boolean;
  internal: boolean;
  attachable: boolean;
  /** Each host's own address on this network ("10.0.1.2/24"), by node ID. */
  hostAddresses: Record<string, string>;
}

export interface PublishedPort {
  protocol: 'tcp' | 'udp' | 'sctp';
  targetPort: number;
  publishedPort: number;
  mode: 'ingress' | 'host';
  /** The PROXY protocol header the port's connections send their backend first (label shoal.proxy-protocol.<port>; TCP only). */
  proxyProtocol?: ProxyProtocol;
  /** Client-IP affinity timeout in seconds (label `shoal.affinity.<port>`, see affinity.ts); none: every new connection is balanced. */
  affinity?: number;
}

export interface ServiceEndpoint {
  serviceId: string;
  name: string;
  mode: 'vip' | 'dnsrr';
  ports: PublishedPort[];
  /** The service's VIP on each network it is on ("10.0.1.5/24"), by network ID (vip mode only). */
  vips: Record<string, string>;
  /** Extra names on each network, by network ID (from the service's network aliases). */
  aliases: Record<string, string[]>;
  /** Network IDs the service's tasks are attached to. */
  networks: string[];
}

export interface TaskEndpoint {
  taskId: string;
  serviceId: string;
  /** web.1.<taskid> (replicated) or web.<nodeid>.<taskid> (global). */
  name: string;
  slot?: number;
  nodeId: string;
  /** The task's address on each network ("10.0.1.7/24"), by network ID. */
  addresses: Record<string, string>;
  /**
   * Told to stop but still running: no new connections or names (mesh, VIPs, DNS leave it out),
   * while the overlay keeps reaching it so established connections finish.
   */
  draining?: true;
}
