import type { Store } from '../cluster/store/index.js';
import { mutable } from '../cluster/store/index.js';
import { TASK_STATES, type TaskObject, type TaskStatus, type NodeObject } from '../cluster/types.js';

/** What the agent needs from the managers: its assignments, the data they reference, and a place to report status. */
export interface AgentControlPlane {
  /** Calls `onChange` with the full set of tasks assigned to the node, now and after every change. */
  watchAssignments(nodeId: string, onChange: (tasks: TaskObject[]) => void): () => void;
  /** Applies status changes; a change that would move a task's state backwards is dropped. */
  reportStatus(updates: { taskId: string; status: TaskStatus }[]): Promise<void>;
  secretData(id: string): Buffer | undefined;
  configData(id: string): Buffer | undefined;
  node(nodeId: string): NodeObject | undefined;
  serviceName(serviceId: string): string | undefined;
}

const stateIndex = (s: TaskStatus['State']): number => TASK_STATES.indexOf(s);

/** The control plane of a host that is itself the manager: reads and writes the local store. */
export class LocalControlPlane implements AgentControlPlane {
  constructor(private readonly store: Store) {}

  watchAssignments(nodeId: string, onChange: (tasks: TaskObject[]) => void): () => void {
    const current = () => this.store.view((tx) => tx.find('tasks', 'node', nodeId));
    const unwatch = this.store.watch((events) => {
      if (events.some((e) => e.table === 'tasks' && ((e.object as TaskObject).NodeID === nodeId || (e.old as TaskObject | undefined)?.NodeID === nodeId))) {
        onChange(current());
      }
    });
    onChange(current());
    return unwatch;
  }

  async reportStatus(updates: { taskId: string; status: TaskStatus }[]): Promise<void> {
    await this.store.update((tx) => {
      for (const { taskId, status } of updates) {
        const task = tx.get('tasks', taskId);
        if (!task || stateIndex(status.State) < stateIndex(task.Status.State)) continue;
        const copy = mutable(task);
        copy.Status = status;
        tx.update('tasks', copy);
      }
    });
  }

  secretData(id: string): Buffer | undefined {
    const s = this.store.view((tx) => tx.get('secrets', id));
    return s?.Spec.Data !== undefined ? Buffer.from(s.Spec.Data, 'base64') : undefined;
  }

  configData(id: string): Buffer | undefined {
    const c = this.store.view((tx) => tx.get('configs', id));
    return c?.Spec.Data !== undefined ? Buffer.from(c.Spec.Data, 'base64') : undefined;
  }

  node(nodeId: string): NodeObject | undefined {
    return this.store.view((tx) => tx.get('nodes', nodeId));
  }

  serviceName(serviceId: string): string | undefined {
    return this.store.view((tx) => tx.get('services', serviceId))?.Spec.Name;
  }
}
