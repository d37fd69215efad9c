import { slotKey, type ReadTx, type StoreEvent } from '../../cluster/store/index.js';
import type { TaskObject } from '../../cluster/types.js';
import { ManagerLoop, type LoopOptions } from '../loop.js';
import { isFinished, isRunDesired, neverPlaced } from '../task-states.js';

/** swarmkit's defaultTaskHistoryRetentionLimit. */
const DEFAULT_HISTORY = 5;

const slotOf = (t: TaskObject): string | undefined =>
  t.Slot !== undefined && t.Slot > 0 ? slotKey(t.ServiceID, t.Slot) : t.NodeID ? slotKey(t.ServiceID, t.NodeID) : undefined;

/** Neither running nor ever going to: told to stop, and stopped or never placed. */
const isDone = (t: TaskObject): boolean => !isRunDesired(t.DesiredState) && (isFinished(t) || neverPlaced(t));

/**
 * Deletes tasks nobody needs any more: those with desired state `remove` (scaled down, service
 * removed) once stopped or never placed, stopped-for-good tasks of removed nodes, and the oldest
 * ended tasks of a slot beyond the cluster's TaskHistoryRetentionLimit. The newest task of a
 * slot is always kept: it is what tells the orchestrator how the slot's last task ended.
 */
export class TaskReaper extends ManagerLoop {
  private readonly slots = new Set<string>();
  private readonly candidates = new Set<string>();
  private scanAll = false;

  constructor(opts: LoopOptions) {
    super(opts, opts.log.child({ component: 'task-reaper' }));
  }

  protected reconcileEverything(): void {
    this.scanAll = true;
  }

  protected onEvents(events: StoreEvent[]): void {
    for (const e of events) {
      if (e.table === 'cluster' || (e.table === 'nodes' && e.action === 'remove')) this.scanAll = true;
      if (e.table !== 'tasks' || e.action === 'remove') continue;
      const task = e.object as TaskObject;
      if (!isRunDesired(task.DesiredState)) this.candidates.add(task.ID);
      const slot = slotOf(task);
      if (slot) this.slots.add(slot);
    }
    if (this.scanAll || this.candidates.size > 0 || this.slots.size > 0) this.loop.kick();
  }

  protected async pass(): Promise<void> {
    const all = this.scanAll;
    const ids = [...this.candidates];
    const slots = [...this.slots];
    this.scanAll = false;
    this.candidates.clear();
    this.slots.clear();
    await this.opts.store.update((tx) => {
      const doomed = all ? this.sweep(tx) : this.select(tx, ids, slots);
      for (const id of doomed) tx.remove('tasks', id);
      if (doomed.size > 0) this.log.debug({ tasks: doomed.size }, 'old tasks deleted');
    });
  }

  private sweep(tx: ReadTx): Set<string> {
    const tasks = tx.list('tasks');
    return this.select(tx, tasks.map((t) => t.ID), [...new Set(tasks.map(slotOf).filter((s): s is string => !!s))]);
  }

  /** The tasks to delete, read before any is deleted (a lookup by index after a write scans the table). */
  private select(tx: ReadTx, ids: string[], slots: string[]): Set<string> {
    const doomed = new Set<string>();
    for (const id of ids) {
      const t = tx.get('tasks', id);
      if (!t || isRunDesired(t.DesiredState)) continue;
      // A removed node will never report its tasks stopped.
      if ((t.DesiredState === 'remove' && isDone(t)) || (t.NodeID && !tx.get('nodes', t.NodeID))) doomed.add(id);
    }
    const cluster = tx.list('cluster')[0];
    const keep = cluster?.Spec.Orchestration?.TaskHistoryRetentionLimit ?? DEFAULT_HISTORY;
    if (keep < 0) return doomed;
    for (const key of slots) {
      const tasks = tx.find('tasks', 'slot', key).filter((t) => !doomed.has(t.ID));
      if (tasks.length <= keep) continue;
      tasks.sort((a, b) => a.CreatedAt.localeCompare(b.CreatedAt) || a.Version.Index - b.Version.Index);
      let excess = tasks.length - keep;
      for (const t of tasks.slice(0, -1)) {
        if (excess === 0) break;
        if (!isDone(t)) continue;
        doomed.add(t.ID);
        excess--;
      }
    }
    return doomed;
  }
}
