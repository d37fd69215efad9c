import { mutable, type WriteTx } from '../store/index.js';
import { TASK_STATES, type TaskStatus } from '../types.js';

const stateIndex = (s: TaskStatus['State']): number => TASK_STATES.indexOf(s);

/**
 * Applies task status reports from a host: only for tasks assigned to it, and never moving a
 * task's state backwards (a late report of an older state is dropped).
 */
export function applyTaskStatus(tx: WriteTx, nodeId: string, updates: { taskId: string; status: TaskStatus }[]): void {
  for (const { taskId, status } of updates) {
    const task = tx.get('tasks', taskId);
    if (!task || task.NodeID !== nodeId || stateIndex(status.State) < stateIndex(task.Status.State)) continue;
    const copy = mutable(task);
    copy.Status = status;
    tx.update('tasks', copy);
  }
}
