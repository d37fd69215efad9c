import type { Logger } from '../util/logger.js';
import type { Clock } from '../util/clock.js';
import { ShoalError } from '../util/errors.js';
import type { StoreEvent } from '../cluster/store/index.js';
import type { SwarmBackend, SwarmInitRequest, SwarmJoinRequest, SwarmState } from '../api/backend.js';
import type { TaskExecutor } from '../runtime/types.js';
import type { DataPlaneKind } from '../mesh/dataplane/index.js';
import { SwarmNode } from './swarm-node.js';
import { clearSwarmState, readNodeState, type NodeState } from './node-state.js';
import { SwarmLockedError } from '../cluster/raft/storage/encryption.js';
import { checkUnlockKey } from '../cluster/membership/unlock-key.js';
import { resolveAdvertiseAddr } from './advertise-addr.js';
import { readHostFacts, describeHost } from './host-facts.js';

const availability = (a: string): 'active' | 'pause' | 'drain' => (a === 'pause' || a === 'drain' ? a : 'active');

const LEAVE_AS_MANAGER =
  'You are attempting to leave the swarm on a node that is participating as a manager. Removing the last manager erases all current state of the swarm. Use `--force` to ignore this message.';

export interface SwarmControlOptions {
  dataDir: string;
  /** From shoald's --advertise-addr and --listen-addr: used when `swarm init` gives none. */
  advertiseAddr?: string;
  listenAddr: string;
  executor: TaskExecutor;
  dataplane: DataPlaneKind | 'auto';
  log: Logger;
  clock: Clock;
}

/** This host's membership in a swarm, behind the Engine API's /swarm endpoints. */
export class SwarmControl implements SwarmBackend {
  private node?: SwarmNode;
  /** This host's swarm state while its store waits for the unlock key. */
  private locked?: NodeState;
  private readonly listeners = new Set<(events: StoreEvent[]) => void>();
  private unwatchStore?: () => void;
  /** Serialises init, leave and shutdown: they open and close the store. */
  private busy: Promise<unknown> = Promise.resolve();

  constructor(private readonly o: SwarmControlOptions) {}

  /**
   * At daemon start: rejoins the swarm this host was part of, from its state on disk. A manager
   * whose store is autolocked stays `locked`, serving nothing of the swarm, until `swarm unlock`.
   */
  async resume(): Promise<void> {
    const state = readNodeState(this.o.dataDir);
    if (!state) return;
    try {
      this.attach(await SwarmNode.resume(this.deps(), state));
    } catch (err) {
      if (!(err instanceof SwarmLockedError)) throw err;
      this.locked = state;
      this.o.log.warn({ node: state.nodeId }, 'this manager\'s store is autolocked: it takes part in the swarm again after "docker swarm unlock"');
    }
  }

  /** `swarm unlock`: opens the locked store with the key and starts this host's part of the swarm. */
  unlock(unlockKey: string): Promise<void> {
    return this.serially(async () => {
      const state = this.locked;
      if (!state) {
        if (!this.node) throw new ShoalError('failed_precondition', 'This node is not part of a swarm');
        throw new ShoalError('conflict', 'swarm is not locked');
      }
      checkUnlockKey(unlockKey);
      this.attach(await SwarmNode.resume(this.deps(), state, { unlockKey }));
      this.locked = undefined;
      this.o.log.info({ node: state.nodeId }, 'swarm unlocked');
    });
  }

  get current(): SwarmNode | undefined {
    return this.node;
  }

  state(): SwarmState {
    const n = this.node;
    if (this.locked) return { localNodeState: 'locked', nodeId: this.locked.nodeId, nodeAddr: this.locked.advertiseAddr, controlAvailable: false, error: '' };
    if (!n) return { localNodeState: 'inactive', nodeId: '', nodeAddr: '', controlAvailable: false, error: '' };
    return {
      localNodeState: 'active',
      nodeId: n.state.nodeId,
      nodeAddr: n.state.advertiseAddr,
      controlAvailable: n.state.role === 'manager',
      error: '',
      remoteManagers: n.state.managers.map((addr) => ({ NodeID: '', Addr: addr })),
    };
  }

  private refuseIfMember(): void {
    if (this.node || this.locked) throw new ShoalError('failed_precondition', 'This node is already part of a swarm. Use "docker swarm leave" to leave this swarm and join another one.');
  }

  init(req: SwarmInitRequest): Promise<string> {
    return this.serially(async () => {
      const current = this.node;
      if (req.ForceNewCluster && current && current.state.role !== 'manager') {
        throw new ShoalError('failed_precondition', 'this node is a worker: --force-new-cluster recovers a manager that lost its quorum');
      }
      if (req.ForceNewCluster && current) {
        // Quorum-loss recovery: this manager keeps its state and becomes the only member.
        const unlockKey = current.store?.view((tx) => tx.list('cluster')[0]?.UnlockKey);
        this.detach();
        await current.shutdown(false);
        this.attach(await SwarmNode.resume(this.deps(), current.state, { forceNewCluster: true, unlockKey }));
        return current.state.nodeId;
      }
      this.refuseIfMember();
      const advertiseAddr = await resolveAdvertiseAddr(req.AdvertiseAddr || this.o.advertiseAddr);
      const listenAddr = req.ListenAddr || this.o.listenAddr;
      const node = await SwarmNode.init(this.deps(), { advertiseAddr, listenAddr }, {
        advertiseAddr,
        listenAddr,
        facts: readHostFacts(),
        spec: req.Spec,
        defaultAddrPool: req.DefaultAddrPool,
        subnetSize: req.SubnetSize,
        dataPathPort: req.DataPathPort,
        availability: availability(req.Availability),
        autoLock: req.AutoLockManagers,
      });
      this.attach(node);
      return node.state.nodeId;
    });
  }

  join(req: SwarmJoinRequest): Promise<void> {
    return this.serially(async () => {
      this.refuseIfMember();
      const advertiseAddr = await resolveAdvertiseAddr(req.AdvertiseAddr || this.o.advertiseAddr);
      const listenAddr = req.ListenAddr || this.o.listenAddr;
      const facts = readHostFacts();
      const node = await SwarmNode.join(this.deps(), { advertiseAddr, listenAddr }, req.RemoteAddrs ?? [], req.JoinToken, {
        hostname: facts.hostname,
        advertiseAddr,
        availability: availability(req.Availability),
        description: describeHost(facts),
      });
      this.attach(node);
    });
  }

  leave(force: boolean): Promise<void> {
    return this.serially(async () => {
      if (this.locked) {
        // A locked manager may still leave for good (its store is unread, and stays so).
        if (!force) throw new ShoalError('failed_precondition', LEAVE_AS_MANAGER);
        clearSwarmState(this.o.dataDir);
        this.locked = undefined;
        return;
      }
      const node = this.node;
      if (!node) throw new ShoalError('failed_precondition', 'This node is not part of a swarm');
      if (node.state.role === 'manager' && !force) throw new ShoalError('failed_precondition', LEAVE_AS_MANAGER);
      this.detach();
      await node.shutdown(true);
      this.o.log.info({ node: node.state.nodeId }, 'left the swarm');
    });
  }

  /** Daemon shutdown: stops this host's part of the swarm but remembers it for the next start. */
  shutdown(): Promise<void> {
    return this.serially(async () => {
      const node = this.node;
      this.detach();
      await node?.shutdown(false);
    });
  }

  onStoreEvents(listener: (events: StoreEvent[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private attach(node: SwarmNode): void {
    this.node = node;
    this.unwatchStore = node.store?.watch((events) => {
      for (const l of this.listeners) l(events);
    });
  }

  private detach(): void {
    this.unwatchStore?.();
    this.unwatchStore = undefined;
    this.node = undefined;
  }

  private deps() {
    return { dataDir: this.o.dataDir, executor: this.o.executor, dataplane: this.o.dataplane, log: this.o.log, clock: this.o.clock };
  }

  private serially<R>(fn: () => Promise<R>): Promise<R> {
    const run = this.busy.then(fn);
    this.busy = run.catch(() => undefined);
    return run;
  }
}
