import { isIPv4 } from 'node:net';
import type { EndpointTable } from '../../cluster/endpoints/types.js';
import { parseCidr, formatCidr } from '../../cluster/allocator/ipv4.js';
import { hostMac, taskMac } from './names.js';
import { noEntries, type DesiredOverlay, type ForwardingEntries, type OverlayNetwork } from './types.js';

const bare = (address: string): string => address.split('/')[0]!;

/**
 * What host `nodeId` should have for `table`: every network that one of its tasks is on (in the
 * table, or `pinned` by a task being started here: VNI → host address) and, while any service
 * publishes a port through the mesh, the ingress network; each with a neighbour and
 * forwarding entry per remote endpoint — remote tasks and remote hosts' own addresses (replies to
 * traffic the mesh masquerades go to those). Pure.
 */
export function desiredOverlay(table: EndpointTable, nodeId: string, pinned: ReadonlyMap<number, string>): DesiredOverlay {
  const underlay = new Map(table.nodes.filter((n) => isIPv4(n.addr)).map((n) => [n.nodeId, n.addr]));
  const self = underlay.get(nodeId);
  const remote = (id: string): string | undefined => {
    const addr = underlay.get(id);
    return id !== nodeId && addr !== self ? addr : undefined;
  };
  const usedHere = new Set(table.tasks.filter((t) => t.nodeId === nodeId).flatMap((t) => Object.keys(t.addresses)));
  // The routing mesh sends a published port's traffic over the ingress network from every host.
  const meshIngress = table.services.some((s) => s.ports.some((p) => p.mode === 'ingress'));

  const networks = new Map<number, OverlayNetwork>();
  const entries = new Map<number, ForwardingEntries>();
  for (const n of table.networks) {
    const hostAddress = n.hostAddresses[nodeId] ?? pinned.get(n.vni);
    if (!hostAddress || (!usedHere.has(n.networkId) && !pinned.has(n.vni) && !(n.ingress && meshIngress))) continue;
    networks.set(n.vni, { vni: n.vni, name: n.name, hostAddress, internal: n.internal, ingress: n.ingress });
    const e = noEntries();
    const add = (address: string, mac: string, dst: string | undefined): void => {
      const ip = bare(address);
      if (!dst || e.neigh.has(ip)) return;
      e.neigh.set(ip, mac);
      e.fdb.set(mac, dst);
    };
    for (const [id, address] of Object.entries(n.hostAddresses)) add(address, hostMac(address), remote(id));
    for (const t of table.tasks) {
      const address = t.addresses[n.networkId];
      if (address) add(address, taskMac(address), remote(t.nodeId));
    }
    entries.set(n.vni, e);
  }
  // A task may start on a network before a table listing it arrives: plumb it without peers for now.
  for (const [vni, hostAddress] of pinned) {
    if (networks.has(vni)) continue;
    networks.set(vni, { vni, name: `vni ${vni}`, hostAddress, internal: false, ingress: false });
    entries.set(vni, noEntries());
  }
  const cidrs = [...table.networks.map((n) => n.subnet), ...[...networks.values()].map((n) => n.hostAddress)];
  const subnets = [...new Set(cidrs.map((c) => formatCidr(parseCidr(c))))];
  return { networks, entries, subnets };
}
