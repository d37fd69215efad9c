import type { Logger } from '../util/logger.js';
import type { Clock } from '../util/clock.js';
import type { RaftStore } from '../cluster/raft/raft-store.js';
import { Allocator } from '../cluster/allocator/allocator.js';
import { startManagerLoops } from '../scheduler/index.js';
import type { Dispatcher } from '../cluster/dispatcher/dispatcher.js';
import type { ClusterObject } from '../cluster/types.js';
import { ManagerStatusUpdater } from '../cluster/membership/manager-status.js';
import { RaftMembership } from '../cluster/membership/raft-membership.js';
import { RootRotationReconciler } from '../cluster/membership/root-rotation.js';

export interface LeaderDutiesOptions {
  store: RaftStore;
  dispatcher: Dispatcher;
  log: Logger;
  clock: Clock;
}

/**
 * What only the leader does, so two managers never write the same decision: allocation, the
 * orchestrators and scheduler, host liveness, and managers' status. Taken up when this manager
 * becomes leader, dropped when it stops leading.
 */
export class LeaderDuties {
  private allocator?: Allocator;
  private stopLoops?: () => Promise<void>;
  private managers?: ManagerStatusUpdater;
  private membership?: RaftMembership;
  private rootRotation?: RootRotationReconciler;
  private unlisten?: () => void;
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly o: LeaderDutiesOptions) {}

  start(): void {
    this.unlisten = this.o.store.onLeadership((leading) => this.serially(() => (leading ? this.take() : this.drop())));
    if (this.o.store.isLeader()) void this.serially(() => this.take());
  }

  async stop(): Promise<void> {
    this.unlisten?.();
    await this.serially(() => this.drop());
  }

  private async take(): Promise<void> {
    if (this.allocator) return;
    const { store, log, clock } = this.o;
    const cluster = await this.clusterObject();
    log.info({ term: store.status().term }, 'this manager is the leader: taking up allocation, orchestration and host liveness');
    this.allocator = new Allocator({
      store,
      log: log.child({ component: 'allocator' }),
      clock,
      defaultAddrPool: cluster.DefaultAddrPool,
      subnetSize: cluster.SubnetSize,
    });
    this.allocator.start();
    this.stopLoops = startManagerLoops({ store, clock, log: log.child({ component: 'orchestrator' }) });
    this.o.dispatcher.start();
    this.managers = new ManagerStatusUpdater({ store, log: log.child({ component: 'managers' }), clock });
    this.managers.start();
    this.membership = new RaftMembership({ store, log: log.child({ component: 'membership' }) });
    this.membership.start();
    this.rootRotation = new RootRotationReconciler({ store, log: log.child({ component: 'ca' }) });
    this.rootRotation.start();
  }

  /** The cluster object; on a new swarm, the leader is elected just before `swarm init` writes it. */
  private clusterObject(): Promise<ClusterObject> {
    const now = this.o.store.view((tx) => tx.list('cluster')[0]);
    if (now) return Promise.resolve(now);
    return new Promise((resolve) => {
      const unwatch = this.o.store.watch((events) => {
        const created = events.find((e) => e.table === 'cluster');
        if (created) {
          unwatch();
          resolve(created.object as ClusterObject);
        }
      });
    });
  }

  private async drop(): Promise<void> {
    if (!this.allocator) return;
    this.o.log.info('this manager no longer leads: dropping leader duties');
    this.managers?.stop();
    this.membership?.stop();
    this.rootRotation?.stop();
    this.o.dispatcher.stop();
    await this.stopLoops?.();
    await this.allocator.stop();
    this.allocator = undefined;
  }

  private serially(fn: () => Promise<void>): Promise<void> {
    this.queue = this.queue.then(fn).catch((err) => this.o.log.error({ err }, 'changing leader duties failed'));
    return this.queue;
  }
}
