import type { Logger } from '../../util/logger.js';
import { errorMessage } from '../../util/errors.js';
import { mutable } from '../store/index.js';
import type { RaftStore } from '../raft/raft-store.js';
import type { NodeObject } from '../types.js';

const DEFAULT_PORT = 2377;

/**
 * Makes the managers' Raft group follow the nodes' roles (`node promote|demote`): a node made a
 * manager becomes a member, a node made a worker leaves. One change at a time. Leader only.
 */
export class RaftMembership {
  private unwatch?: () => void;
  private busy = false;
  private again = false;

  constructor(private readonly o: { store: RaftStore; log: Logger }) {}

  start(): void {
    this.unwatch = this.o.store.watch((events) => {
      if (events.some((e) => e.table === 'nodes')) void this.reconcile();
    });
    void this.reconcile();
  }

  stop(): void {
    this.unwatch?.();
  }

  private async reconcile(): Promise<void> {
    if (this.busy) {
      this.again = true;
      return;
    }
    this.busy = true;
    try {
      do {
        this.again = false;
        await this.step();
      } while (this.again);
    } catch (err) {
      this.o.log.warn({ err: errorMessage(err) }, 'changing the managers\' membership failed; will retry on the next change');
    } finally {
      this.busy = false;
    }
  }

  private async step(): Promise<void> {
    const { store, log } = this.o;
    if (!store.isLeader()) return;
    const members = new Set(store.members().map((m) => m.id));
    const nodes = store.view((tx) => tx.list('nodes'));
    for (const node of nodes) {
      if (node.Spec.Role === 'manager' && !members.has(node.ID) && node.Status.State === 'ready') {
        const addr = node.ManagerStatus?.Addr ?? `${node.Status.Addr}:${DEFAULT_PORT}`;
        await this.setManagerStatus(node, { Leader: false, Reachability: 'unknown', Addr: addr });
        log.info({ node: node.ID, hostname: node.Description.Hostname, addr }, 'promoted: adding the node to the managers');
        await store.addMember(node.ID, addr);
      } else if (node.Spec.Role === 'worker' && members.has(node.ID)) {
        if (node.ID === store.status().id) {
          const other = store.members().find((m) => m.id !== node.ID && m.reachability === 'reachable');
          if (other) await store.transferLeadership(other.id);
          return; // the next leader removes this one
        }
        log.info({ node: node.ID, hostname: node.Description.Hostname }, 'demoted: removing the node from the managers');
        await store.removeMember(node.ID);
        await this.setManagerStatus(node, undefined);
      } else if (node.Spec.Role === 'worker' && node.ManagerStatus && !members.has(node.ID)) {
        await this.setManagerStatus(node, undefined);
      }
    }
  }

  private async setManagerStatus(node: NodeObject, status: NodeObject['ManagerStatus']): Promise<void> {
    await this.o.store.update((tx) => {
      const current = tx.get('nodes', node.ID);
      if (!current) return;
      const copy = mutable(current);
      if (status) copy.ManagerStatus = status;
      else delete copy.ManagerStatus;
      tx.update('nodes', copy);
    });
  }
}
