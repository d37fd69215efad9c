import type { EndpointTable } from '../cluster/endpoints/types.js';

/** What a table asks the overlay to reach: task and host addresses on each network, and each host's underlay address. */
function reached(table: EndpointTable): Set<string> {
  const out = new Set<string>();
  for (const t of table.tasks) for (const [net, addr] of Object.entries(t.addresses)) out.add(`${net} ${addr} ${t.nodeId}`);
  for (const n of table.networks) for (const [node, addr] of Object.entries(n.hostAddresses)) out.add(`${n.networkId} ${addr} ${node}`);
  for (const n of table.nodes) out.add(`node ${n.addr} ${n.nodeId}`);
  return out;
}

/**
 * Whether `next` only takes away from what `prev` (the table applied last) asks the overlay to
 * reach: then the mesh goes first, so new connections leave a task that is gone before the
 * overlay's entries for it are removed (`ip` commands: hundreds of ms on a busy host), which
 * shortens the time a dead task is still sent connections. Otherwise the overlay goes first: the
 * mesh must not send traffic to an address the overlay does not reach yet.
 */
export function meshFirst(prev: EndpointTable | undefined, next: EndpointTable): boolean {
  if (!prev) return false;
  const before = reached(prev);
  for (const r of reached(next)) if (!before.has(r)) return false;
  return true;
}
