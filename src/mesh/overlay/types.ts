/**
 * The overlay of one host as data: what it should hold (from the endpoint table) and what the
 * kernel holds (read at start, then kept up to date by every successful change). Diffing the two
 * gives the commands of one update.
 */

/** One network present on this host. */
export interface OverlayNetwork {
  vni: number;
  /** For logs: the network's name, or `vni <n>` for one the table does not list yet. */
  name: string;
  /** This host's address on the network, with prefix ("10.0.1.2/24"): on the bridge, the tasks' gateway. */
  hostAddress: string;
  internal: boolean;
  ingress: boolean;
}

/** Entries that make remote endpoints reachable through a network's VXLAN device. */
export interface ForwardingEntries {
  /** Neighbour entries: remote IP → MAC (the device answers ARP from these: `proxy`). */
  neigh: Map<string, string>;
  /** Forwarding entries: remote MAC → underlay address of the host that has it. */
  fdb: Map<string, string>;
}

/** What this host should have: networks by VNI, and their remote endpoints. */
export interface DesiredOverlay {
  networks: Map<number, OverlayNetwork>;
  entries: Map<number, ForwardingEntries>;
  /** Every network's subnet in the cluster, local or not (isolation drops traffic between them). */
  subnets: string[];
}

export interface BridgeFacts {
  mac: string;
  mtu: number;
  up: boolean;
  /** IPv4 addresses with prefix. */
  addresses: string[];
}

export interface VxlanFacts {
  id: number;
  local: string;
  port: number;
  learning: boolean;
  proxy: boolean;
  mtu: number;
  master: string | undefined;
  up: boolean;
}

/** What the kernel has for one VNI; either device may be missing (a crash mid-setup). */
export interface DeviceFacts {
  bridge?: BridgeFacts;
  vxlan?: VxlanFacts;
}

/** The kernel's overlay objects, by VNI. */
export interface KernelView {
  devices: Map<number, DeviceFacts>;
  entries: Map<number, ForwardingEntries>;
}

/** Where this host's VXLAN traffic leaves, and the MTU its overlay devices get. */
export interface UnderlayEnv {
  /** Local address VXLAN packets are sent from. */
  address: string;
  /** The device holding that address, if found (the VXLAN device is bound to it). */
  device: string | undefined;
  mtu: number;
  /** UDP port of VXLAN traffic (the cluster's data path port). */
  port: number;
}

export const noEntries = (): ForwardingEntries => ({ neigh: new Map(), fdb: new Map() });
