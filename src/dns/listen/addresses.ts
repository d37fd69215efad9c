import type { EndpointTable } from '../../cluster/endpoints/types.js';
import { stripPrefix } from '../names/ipv4.js';

/**
 * Where a host's DNS server listens: its own address on each network of the table that publishes
 * names (every one but ingress), sorted. Tasks' resolv.conf points at the one on their network.
 */
export function dnsListenHosts(table: EndpointTable, nodeId: string): string[] {
  return table.networks
    .filter((n) => !n.ingress && n.hostAddresses[nodeId])
    .map((n) => stripPrefix(n.hostAddresses[nodeId]!))
    .sort();
}
