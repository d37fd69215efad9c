import type { ClusterObject } from '../../cluster/types.js';

/** The swarm as `GET /swarm` shows it (join tokens included, unlock key and CA key never). */
export function shapeSwarm(cluster: ClusterObject): object {
  const { UnlockKey: _unlockKey, RootCA: _rootCA, ...rest } = cluster;
  return { ...rest, DefaultAddrPool: cluster.DefaultAddrPool?.length ? cluster.DefaultAddrPool : null };
}

/** The swarm as the `Cluster` part of `GET /info` shows it: no join tokens. */
export function shapeInfoCluster(cluster: ClusterObject): object {
  const { JoinTokens: _tokens, ...rest } = shapeSwarm(cluster) as ClusterObject;
  return rest;
}
