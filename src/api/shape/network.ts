import { networkDriver } from '../../cluster/controlapi/networks.js';
import type { NetworkObjectSwarm } from '../../cluster/types.js';
import type { NetworkDetail } from './network-detail.js';

/**
 * A swarm network in the shape of `GET /networks` (Docker's NetworkResource, built the way the
 * daemon converts a swarmkit network): allocated subnets, the driver state's options (VXLAN ID);
 * with `detail`, what `network inspect` adds (network-detail.ts).
 */
export function shapeNetwork(n: NetworkObjectSwarm, detail?: NetworkDetail): object {
  const ipam = n.IPAMOptions ?? n.Spec.IPAMOptions;
  const labels = n.Spec.Labels ?? {};
  return {
    Name: n.Spec.Name,
    Id: n.ID,
    Created: n.CreatedAt,
    Scope: 'swarm',
    Driver: networkDriver(n),
    EnableIPv6: n.Spec.IPv6Enabled ?? false,
    IPAM: {
      Driver: ipam?.Driver?.Name || 'default',
      Options: ipam?.Driver?.Options ?? null,
      Config: (ipam?.Configs ?? []).map((c) => ({ ...c })),
    },
    Internal: n.Spec.Internal ?? false,
    Attachable: n.Spec.Attachable ?? false,
    Ingress: n.Spec.Ingress ?? false,
    ConfigFrom: { Network: '' },
    ConfigOnly: false,
    Containers: detail?.containers ?? null,
    Options: detail ? { ...n.DriverState?.Options, ...detail.options } : (n.DriverState?.Options ?? n.Spec.DriverConfiguration?.Options ?? null),
    // Docker shows a swarm network's empty labels as null.
    Labels: Object.keys(labels).length > 0 ? labels : null,
    ...(detail ? { Peers: detail.peers } : {}),
  };
}
