import type { TaskObject, TaskStatus, NodeObject } from '../cluster/types.js';
import type { ServiceEndpoint } from '../cluster/endpoints/types.js';

/** What the agent needs from the managers: its assignments, the data they reference, and a place to report status. */
export interface AgentControlPlane {
  /**
   * Calls `onChange` with the full set of tasks assigned to this host once the managers have sent
   * it, and again after every change.
   */
  watchAssignments(onChange: (tasks: TaskObject[]) => void): () => void;
  /** Reports status changes; the managers drop a change that would move a task's state backwards. */
  reportStatus(updates: { taskId: string; status: TaskStatus }[]): Promise<void>;
  secretData(id: string): Buffer | undefined;
  configData(id: string): Buffer | undefined;
  /** This host's node object, as the managers last sent it. */
  node(): NodeObject | undefined;
  serviceName(serviceId: string): string | undefined;
  /** The service as the last endpoint table from the managers has it (its published ports). */
  serviceEndpoint(serviceId: string): ServiceEndpoint | undefined;
}
