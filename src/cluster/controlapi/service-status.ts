import type { ReadTx } from '../store/types.js';
import type { ServiceObject, TaskObject } from '../types.js';

/** What `GET /services?status=true` adds to each service, for the REPLICAS column of `service ls`. */
export interface ServiceStatus {
  RunningTasks: number;
  DesiredTasks: number;
  CompletedTasks: number;
}

/** Counts a service's tasks: running ones on live nodes, the number wanted, and (for jobs) completed ones. */
export function serviceStatus(tx: ReadTx, service: ServiceObject): ServiceStatus {
  const tasks = tx.find('tasks', 'service', service.ID);
  const onLiveNode = (t: TaskObject): boolean => !t.NodeID || tx.get('nodes', t.NodeID)?.Status.State !== 'down';
  const running = tasks.filter((t) => t.Status.State === 'running' && t.DesiredState === 'running' && onLiveNode(t)).length;
  const completed = tasks.filter((t) => t.Status.State === 'complete').length;
  const mode = service.Spec.Mode;
  let desired: number;
  if (mode.Replicated) desired = mode.Replicated.Replicas ?? 1;
  else if (mode.ReplicatedJob) {
    const total = mode.ReplicatedJob.TotalCompletions ?? 1;
    desired = Math.max(0, Math.min(mode.ReplicatedJob.MaxConcurrent ?? 1, total - completed));
  } else {
    // Global services want one task on each node that should run one.
    const wanted = mode.GlobalJob ? 'complete' : 'running';
    desired = tasks.filter((t) => t.DesiredState === wanted && onLiveNode(t)).length;
  }
  const isJob = Boolean(mode.ReplicatedJob || mode.GlobalJob);
  return { RunningTasks: running, DesiredTasks: desired, CompletedTasks: isJob ? completed : 0 };
}
