import { invalidArgument, ShoalError } from '../../util/errors.js';
import type { ReadTx, WriteTx } from '../store/types.js';
import type { ClusterObject, ClusterRootCA, SwarmSpec } from '../types.js';
import { clusterTLSInfo } from '../ca/root-ca.js';
import { checkVersion, rpcError } from './errors.js';
import { mergeSwarmSpec } from '../membership/bootstrap.js';
import { rotateJoinToken } from '../membership/join-token.js';
import { newUnlockKey } from '../membership/unlock-key.js';

const NANOS_PER_HOUR = 3600e9;

export interface SwarmRotation {
  workerToken: boolean;
  managerToken: boolean;
  unlockKey: boolean;
}

/** The cluster object; there is exactly one while the swarm is up. */
export function getCluster(tx: ReadTx): ClusterObject {
  const cluster = tx.list('cluster')[0];
  if (!cluster) throw new ShoalError('unavailable', 'the swarm has no cluster object yet: wait for "docker swarm init" to finish');
  return cluster;
}

/**
 * Updates the swarm spec, rotates tokens or the unlock key, and sets the root CA state the
 * caller planned (`plannedRootCA`: a root rotation started or cancelled). Like Docker, fields left zero or
 * out keep their current value, and the spec must stay named "default".
 */
export function updateSwarm(tx: WriteTx, version: number, input: Partial<SwarmSpec>, rotate: SwarmRotation, rootCA?: ClusterRootCA): ClusterObject {
  const cluster = getCluster(tx);
  const name = input.Name || 'default';
  if (name !== 'default') throw invalidArgument('swarm spec must be named "default"');
  checkVersion(cluster, version);
  const spec = mergeSwarmSpec(cluster.Spec, { ...input, Name: 'default' });
  validateSpec(spec);
  const next: ClusterObject = structuredClone(cluster);
  next.Spec = spec;
  if (rotate.workerToken) next.JoinTokens.Worker = rotateJoinToken(cluster.JoinTokens.Worker);
  if (rotate.managerToken) next.JoinTokens.Manager = rotateJoinToken(cluster.JoinTokens.Manager);
  if (rootCA) {
    next.RootCA = rootCA;
    next.TLSInfo = clusterTLSInfo(rootCA);
    next.RootRotationInProgress = !!rootCA.RootRotation;
  }
  if (!spec.EncryptionConfig.AutoLockManagers) delete next.UnlockKey;
  else if (!next.UnlockKey || rotate.unlockKey) next.UnlockKey = newUnlockKey();
  return tx.update('cluster', next);
}

function validateSpec(spec: SwarmSpec): void {
  if (spec.CAConfig.NodeCertExpiry < NANOS_PER_HOUR) throw rpcError('InvalidArgument', 'minimum certificate expiry time is: 1h0m0s');
  if (spec.Dispatcher.HeartbeatPeriod < 0) throw rpcError('InvalidArgument', 'heartbeat time period cannot be a negative duration');
  if (spec.Orchestration.TaskHistoryRetentionLimit < 0) throw rpcError('InvalidArgument', 'task history retention limit cannot be negative');
  if (spec.Raft.ElectionTick <= spec.Raft.HeartbeatTick) {
    throw rpcError('InvalidArgument', `raft ElectionTick (${spec.Raft.ElectionTick}) must be greater than HeartbeatTick (${spec.Raft.HeartbeatTick})`);
  }
}
