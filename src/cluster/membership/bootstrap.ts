import type { WriteTx } from '../store/index.js';
import type { ClusterObject, ClusterRootCA, NetworkObjectSwarm, NodeObject, SwarmSpec } from '../types.js';
import { newId } from '../../util/ids.js';
import { newJoinTokens } from './join-token.js';
import { newUnlockKey } from './unlock-key.js';
import { certDer } from '../ca/certificates.js';
import { clusterTLSInfo } from '../ca/root-ca.js';
import { describeHost, type HostFacts } from '../../daemon/host-facts.js';


export interface InitRequest {
  nodeId: string;
  clusterId: string;
  /** The new cluster's root CA, made or checked by the caller (key generation is async). */
  rootCA: ClusterRootCA;
  advertiseAddr: string;
  listenAddr: string;
  facts: HostFacts;
  spec?: Partial<SwarmSpec>;
  defaultAddrPool?: string[];
  subnetSize?: number;
  dataPathPort?: number;
  availability?: 'active' | 'pause' | 'drain';
  /** `swarm init --autolock`: managers' stores are sealed by an unlock key. */
  autoLock?: boolean;
}

/** Swarm's defaults for a new cluster (what `docker swarm init` shows). */
export function defaultSwarmSpec(): SwarmSpec {
  return {
    Name: 'default',
    Labels: {},
    Orchestration: { TaskHistoryRetentionLimit: 5 },
    Raft: { SnapshotInterval: 10000, KeepOldSnapshots: 0, LogEntriesForSlowFollowers: 500, ElectionTick: 10, HeartbeatTick: 1 },
    Dispatcher: { HeartbeatPeriod: 5_000_000_000 },
    CAConfig: { NodeCertExpiry: 7_776_000_000_000_000 },
    TaskDefaults: {},
    EncryptionConfig: { AutoLockManagers: false },
  };
}

/** Fills the zero values the CLI sends (`"ElectionTick": 0`, `{}`) with the defaults. */
export function mergeSwarmSpec(base: SwarmSpec, given: Partial<SwarmSpec> | undefined): SwarmSpec {
  const out = structuredClone(base);
  if (!given) return out;
  if (given.Name) out.Name = given.Name;
  if (given.Labels) out.Labels = given.Labels;
  if (given.Orchestration?.TaskHistoryRetentionLimit !== undefined) out.Orchestration.TaskHistoryRetentionLimit = given.Orchestration.TaskHistoryRetentionLimit;
  for (const k of ['SnapshotInterval', 'KeepOldSnapshots', 'LogEntriesForSlowFollowers', 'ElectionTick', 'HeartbeatTick'] as const) {
    const v = given.Raft?.[k];
    if (v) out.Raft[k] = v;
  }
  if (given.Dispatcher?.HeartbeatPeriod) out.Dispatcher.HeartbeatPeriod = given.Dispatcher.HeartbeatPeriod;
  if (given.CAConfig?.NodeCertExpiry) out.CAConfig.NodeCertExpiry = given.CAConfig.NodeCertExpiry;
  // The signing key is never kept in the spec (it goes to the root CA, which the API never shows).
  for (const k of ['ExternalCAs', 'ForceRotate', 'SigningCACert'] as const) {
    if (given.CAConfig?.[k] !== undefined) (out.CAConfig as Record<string, unknown>)[k] = given.CAConfig[k];
  }
  if (given.TaskDefaults) out.TaskDefaults = given.TaskDefaults;
  if (given.EncryptionConfig) out.EncryptionConfig = { AutoLockManagers: !!given.EncryptionConfig.AutoLockManagers };
  return out;
}

/**
 * Writes a new cluster: the cluster object with its join tokens, this host as the first
 * manager (leader), and the `ingress` network, as `docker swarm init` does.
 */
export function bootstrapCluster(tx: WriteTx, req: InitRequest): void {
  const tls = clusterTLSInfo(req.rootCA);
  const meta = { Version: { Index: 0 }, CreatedAt: '', UpdatedAt: '' };

  const spec = mergeSwarmSpec(defaultSwarmSpec(), req.spec);
  if (req.autoLock) spec.EncryptionConfig = { AutoLockManagers: true };
  const cluster: ClusterObject = {
    ID: req.clusterId,
    ...meta,
    Spec: spec,
    TLSInfo: tls,
    RootRotationInProgress: false,
    DefaultAddrPool: req.defaultAddrPool?.length ? req.defaultAddrPool : ['10.0.0.0/8'],
    SubnetSize: req.subnetSize || 24,
    DataPathPort: req.dataPathPort || 4789,
    JoinTokens: newJoinTokens(certDer(req.rootCA.CACert)),
    RootCA: req.rootCA,
    ...(spec.EncryptionConfig.AutoLockManagers && { UnlockKey: newUnlockKey() }),
  };
  tx.create('cluster', cluster);

  const node: NodeObject = {
    ID: req.nodeId,
    ...meta,
    Spec: { Labels: {}, Role: 'manager', Availability: req.availability || 'active' },
    Description: { ...describeHost(req.facts), TLSInfo: tls },
    Status: { State: 'ready', Addr: req.advertiseAddr },
    ManagerStatus: { Leader: true, Reachability: 'reachable', Addr: `${req.advertiseAddr}:${req.listenAddr.split(':').pop() ?? '2377'}` },
  };
  tx.create('nodes', node);

  const ingress: NetworkObjectSwarm = {
    ID: newId(),
    ...meta,
    Spec: {
      Name: 'ingress',
      Labels: {},
      DriverConfiguration: {},
      Ingress: true,
      IPAMOptions: { Driver: {} },
      Scope: 'swarm',
    },
    DriverState: { Name: 'overlay', Options: {} },
    IPAMOptions: { Driver: { Name: 'default' }, Configs: [] },
  };
  tx.create('networks', ingress);
}
