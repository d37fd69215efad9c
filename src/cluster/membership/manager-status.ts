import type { Logger } from '../../util/logger.js';
import type { Clock, TimerHandle } from '../../util/clock.js';
import { mutable } from '../store/index.js';
import type { RaftStore } from '../raft/raft-store.js';
import type { NodeObject } from '../types.js';

const INTERVAL_MS = 1000;

/**
 * Keeps each manager's `ManagerStatus` (Leader, Reachability, Addr) as the leader's Raft sees it,
 * so `node ls` shows Leader / Reachable / Unreachable. Leader only.
 */
export class ManagerStatusUpdater {
  private timer?: TimerHandle;

  constructor(private readonly o: { store: RaftStore; log: Logger; clock: Clock }) {}

  start(): void {
    const tick = () => {
      this.update().catch((err) => this.o.log.warn({ err }, 'updating managers\' status failed'));
      this.timer = this.o.clock.setTimeout(tick, INTERVAL_MS);
    };
    tick();
  }

  stop(): void {
    if (this.timer) this.o.clock.clearTimeout(this.timer);
  }

  private async update(): Promise<void> {
    if (!this.o.store.isLeader()) return;
    const members = new Map(this.o.store.members().map((m) => [m.id, m]));
    await this.o.store.update((tx) => {
      for (const node of tx.find('nodes', 'role', 'manager')) {
        const m = members.get(node.ID);
        if (!m) continue;
        const want: NonNullable<NodeObject['ManagerStatus']> = {
          Leader: m.leader,
          Reachability: m.reachability === 'unreachable' ? 'unreachable' : 'reachable',
          Addr: m.addr,
        };
        const have = node.ManagerStatus;
        if (have && have.Leader === want.Leader && have.Reachability === want.Reachability && have.Addr === want.Addr) continue;
        const copy = mutable(node);
        copy.ManagerStatus = want;
        tx.update('nodes', copy);
      }
    });
  }
}
