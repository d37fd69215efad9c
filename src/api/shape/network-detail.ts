import { addressUsage, heldAddresses, isFinished, nearlyFull } from '../../cluster/allocator/held-addresses.js';
import { taskName } from '../../cluster/endpoints/derive.js';
import type { ReadTx } from '../../cluster/store/types.js';
import type { NetworkObjectSwarm } from '../../cluster/types.js';
import { hostMac, taskMac } from '../../mesh/overlay/names.js';

/** An entry of `Containers` in `network inspect`. */
interface EndpointShape {
  Name: string;
  EndpointID: string;
  MacAddress: string;
  IPv4Address: string;
  IPv6Address: string;
}

/**
 * What `network inspect` shows beyond the list: the network's endpoints in the whole cluster,
 * where Docker shows only the local host's (tasks by container ID, or task ID before one
 * exists; hosts' own addresses as `host-<node ID>`), the hosts running its tasks (`Peers`, with
 * their underlay address), and address use in `Options` (README: Overlay networks).
 */
export interface NetworkDetail {
  containers: Record<string, EndpointShape>;
  peers: { Name: string; IP: string }[];
  options: Record<string, string>;
}

export const USAGE_OPTION = 'shoal.ipam.usage';
export const WARNING_OPTION = 'shoal.ipam.warning';

export function networkDetail(tx: ReadTx, n: NetworkObjectSwarm): NetworkDetail {
  const containers: Record<string, EndpointShape> = {};
  const endpoint = (Name: string, EndpointID: string, address: string, mac: string): EndpointShape => ({ Name, EndpointID, MacAddress: mac, IPv4Address: address, IPv6Address: '' });
  const peers = new Set<string>();
  for (const task of tx.list('tasks')) {
    const address = task.NetworksAttachments?.find((a) => a.Network.ID === n.ID)?.Addresses[0];
    if (!address || isFinished(task)) continue;
    const service = tx.get('services', task.ServiceID)?.Spec.Name ?? task.ServiceID;
    containers[task.Status.ContainerStatus?.ContainerID || task.ID] = endpoint(taskName(service, task), task.ID, address, taskMac(address));
    if (task.NodeID) peers.add(task.NodeID);
  }
  const nodes = tx.list('nodes');
  for (const node of nodes) {
    const address = node.Attachments?.find((a) => a.NetworkID === n.ID)?.Addr;
    if (address) containers[`host-${node.ID}`] = endpoint(node.Description.Hostname, node.ID, address, hostMac(address));
  }
  const options: Record<string, string> = {};
  const usage = addressUsage(n, heldAddresses(tx));
  if (usage) {
    options[USAGE_OPTION] = `${usage.inUse}/${usage.capacity}`;
    if (nearlyFull(usage)) {
      options[WARNING_OPTION] = `${Math.floor((100 * usage.inUse) / usage.capacity)}% of the network's addresses are in use: new tasks fail once the last one is taken`;
    }
  }
  return {
    containers,
    peers: nodes.filter((node) => peers.has(node.ID)).map((node) => ({ Name: node.Description.Hostname, IP: node.Status.Addr })),
    options,
  };
}
