import { mutable, type WriteTx } from '../../cluster/store/index.js';
import type { NodeObject, ServiceObject, TaskObject, TaskState } from '../../cluster/types.js';
import type { Logger } from '../../util/logger.js';
import { isRunDesired, stateRank } from '../task-states.js';
import { newTask, type SlotId } from './new-task.js';
import type { RestartHistory } from './restart.js';

/**
 * What one reconciliation decided for one service, before it is written: tasks to create,
 * desired states to move forward, the service itself (update status, rollback), and when to
 * look again. Planning reads the store once and sees its own decisions through this object,
 * so the writes of a whole pass go into one transaction.
 */
export class ServicePlan {
  readonly created: TaskObject[] = [];
  private readonly desired = new Map<string, TaskState>();
  /** The service to write back, when the plan changed it. */
  service?: ServiceObject;
  wakeAt = Infinity;

  constructor(
    readonly now: number,
    /** The store index this plan's transaction will commit at (for SpecVersion). */
    readonly nextIndex: number,
  ) {}

  desiredOf(task: TaskObject): TaskState {
    return this.desired.get(task.ID) ?? task.DesiredState;
  }

  /** The task is still meant to run once this plan is applied. */
  isLive(task: TaskObject): boolean {
    return isRunDesired(this.desiredOf(task));
  }

  /** Moves a task's desired state forward; a desired state never goes back. */
  setDesired(task: TaskObject, state: TaskState): boolean {
    if (stateRank(state) <= stateRank(this.desiredOf(task))) return false;
    this.desired.set(task.ID, state);
    return true;
  }

  /** Creates a task of the service's current spec in the slot (which then holds it too). */
  spawn(service: ServiceObject, slot: { id: SlotId; tasks: TaskObject[] }): TaskObject {
    const task = newTask(service, slot.id, this.now);
    this.created.push(task);
    slot.tasks.push(task);
    return task;
  }

  wake(at: number): void {
    if (at > this.now && at < this.wakeAt) this.wakeAt = at;
  }

  /** Changes the service (based on any change already planned). */
  editService(base: ServiceObject, edit: (copy: ServiceObject) => void): void {
    const copy = this.service ?? mutable(base);
    edit(copy);
    this.service = copy;
  }

  apply(tx: WriteTx): void {
    for (const task of this.created) tx.create('tasks', task);
    for (const [id, state] of this.desired) {
      const current = tx.get('tasks', id);
      if (!current || stateRank(state) <= stateRank(current.DesiredState)) continue;
      const copy = mutable(current);
      copy.DesiredState = state;
      tx.update('tasks', copy);
    }
    if (this.service) tx.update('services', this.service);
  }
}

/** What planning one service works from. */
export interface ServiceContext {
  readonly service: ServiceObject;
  readonly nodes: ReadonlyMap<string, NodeObject>;
  readonly plan: ServicePlan;
  readonly restarts: RestartHistory;
  /** Logs naming the service. */
  readonly log: Logger;
}
