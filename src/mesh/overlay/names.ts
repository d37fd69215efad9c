import { macAddress } from '../../runtime/process/task-network.js';

/**
 * Names and fixed values of the overlay's kernel objects. Everything Shoal creates carries the
 * `shoal` prefix, so a restarted daemon recognises (and reuses or removes) what a dead one left.
 */

/** The host's side of one overlay network: the bridge its local tasks plug into. */
export interface NetworkBridge {
  name: string;
  mtu: number;
}

export const VXLAN_PORT = 4789;
/** Outer IPv4 + UDP + VXLAN + inner Ethernet headers: the overlay MTU is the underlay's minus this. */
export const VXLAN_OVERHEAD = 50;
export const DEFAULT_UNDERLAY_MTU = 1500;
/** The overlay MTU on a 1500-byte underlay. */
export const OVERLAY_MTU = DEFAULT_UNDERLAY_MTU - VXLAN_OVERHEAD;

/** Bridge of network `vni`: `shoal<vni>` (the mesh's nftables rules match `shoal*` bridges). */
export const bridgeName = (vni: number): string => `shoal${vni}`;

/** VXLAN device of network `vni`: `shoalvx<vni>`, at most 15 characters for a 24-bit VNI. */
export const vxlanName = (vni: number): string => `shoalvx${vni}`;

const DEVICE = /^shoal(vx)?(\d{1,8})$/;

/** Which overlay device a link name is, if it is one of Shoal's. */
export function parseDeviceName(name: string): { kind: 'bridge' | 'vxlan'; vni: number } | undefined {
  const m = DEVICE.exec(name);
  return m ? { kind: m[1] ? 'vxlan' : 'bridge', vni: Number(m[2]) } : undefined;
}

/**
 * A host's MAC on a network: 02:aa and its IPv4 address on it. Fixed, because a bridge's MAC
 * otherwise follows its ports, and derived from the address, so every host knows every other
 * host's MAC without asking (tasks use Docker's 02:42 prefix the same way).
 */
export const hostMac = (address: string): string => `02:aa${taskMac(address).slice('02:42'.length)}`;

/** A task's MAC on a network, as the runtimes give it (Docker's 02:42 and the IPv4 address). */
export const taskMac = macAddress;
