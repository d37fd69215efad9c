import type { NodeObject } from '../../cluster/types.js';

/**
 * A node as the Engine API shows it: without the internal `SpecVersion`, and with the endpoint
 * table versions under a Shoal-specific key — the one the host reported applied at its last
 * heartbeat and the managers' current one then (a host that lags shows an older `AppliedVersion`).
 */
export function shapeNode(node: NodeObject): object {
  const { SpecVersion: _specVersion, EndpointTableVersions: versions, ...rest } = node;
  if (!versions) return rest;
  return { ...rest, ShoalEndpointTable: { AppliedVersion: versions.Applied, ManagersVersion: versions.Managers } };
}
