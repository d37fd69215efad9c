import type * as grpc from '@grpc/grpc-js';
import type { Clock } from '../../util/clock.js';
import type { Logger } from '../../util/logger.js';
import type { Member } from './cluster-state.js';
import { bootstrapEntries } from './core/conf-change.js';
import type { RaftConfig } from './core/raft.js';
import { forceNewCluster } from './force-new-cluster.js';
import { RaftStore } from './raft-store.js';
import { FileStorage } from './storage/file-storage.js';
import { GrpcTransport } from './transport/grpc.js';
import type { Transport } from './transport/types.js';

export interface OpenRaftStoreOptions {
  /** Where this manager keeps its log, snapshots and keys (e.g. `<data-dir>/swarm/raft`). */
  dir: string;
  nodeId: string;
  /** host:port the Raft transport listens on, when no `transport` is given. */
  listenAddr?: string;
  /**
   * A new cluster: its founding members with the addresses the others reach them at (`swarm init`:
   * just this one, at its advertise address). Ignored when `dir` holds
   * state already. Without it and without state, the member waits to be added by the leader.
   */
  bootstrap?: Member[];
  /** `swarm init --force-new-cluster`: keep the state, become the only member. */
  forceNewCluster?: boolean;
  /** The autolock key, needed to open a locked store; given at init it locks the store. */
  unlockKey?: string;
  clock: Clock;
  log: Logger;
  /** Default: gRPC on `listenAddr` with plain TCP; or gRPC with the cluster's mutual TLS credentials. */
  transport?: Transport;
  credentials?: { server: grpc.ServerCredentials; channel: grpc.ChannelCredentials };
  tickMs?: number;
  raft?: Partial<RaftConfig>;
  snapshotEvery?: number;
  commitTimeoutMs?: number;
}

/** Opens (or creates) this manager's replicated store and starts its Raft member. */
export async function openRaftStore(o: OpenRaftStoreOptions): Promise<RaftStore> {
  const log = o.log.child({ node: o.nodeId, component: 'raft' });
  const storage = FileStorage.open({ dir: o.dir, log, unlockKey: o.unlockKey });
  try {
    const { hardState, entries, snapshot } = storage.load();
    const fresh = hardState.term === 0 && entries.length === 0 && !snapshot;
    if (fresh && o.bootstrap?.length) {
      const entries = bootstrapEntries(o.bootstrap.map((m) => ({ node: m.id, context: m.addr })));
      await storage.save({ term: 1, vote: '', commit: entries.length }, entries);
    }
    if (o.forceNewCluster) {
      const removed = await forceNewCluster(storage, o.nodeId);
      log.warn({ removed }, 'forcing a new cluster: this manager keeps its state and is now the only member');
    }
  } catch (err) {
    storage.close();
    throw err;
  }
  // Reopen so the core starts from exactly what is on disk.
  storage.close();
  const reopened = FileStorage.open({ dir: o.dir, log, unlockKey: o.unlockKey });
  const transport =
    o.transport ??
    new GrpcTransport({ id: o.nodeId, listen: { listenAddr: o.listenAddr ?? '0.0.0.0:2377', serverCredentials: o.credentials?.server }, log, channelCredentials: o.credentials?.channel });
  const store = new RaftStore({
    id: o.nodeId,
    storage: reopened,
    transport,
    clock: o.clock,
    log,
    tickMs: o.tickMs,
    raft: o.raft,
    snapshotEvery: o.snapshotEvery,
    commitTimeoutMs: o.commitTimeoutMs,
  });
  try {
    await store.start();
  } catch (err) {
    await store.close();
    throw err;
  }
  return store;
}
