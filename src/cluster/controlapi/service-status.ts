import type { ReadTx } from '../store/types.js';
import type { ServiceObject, TaskObject } from '../types.js';

/** What `GET /services?status=true` adds to each service, for the REPLICAS column of `service ls`. */
export interface ServiceStatus {
  RunningTasks: number;
  DesiredTasks: number;
  CompletedTasks: number;
}

/**
 * Counts a service's tasks as swarmkit's ListServiceStatuses does: running ones (on live nodes),
 * the number wanted and, for jobs, the completed ones of the current run. Replicated services
 * want their replicas, replicated jobs their MaxConcurrent; global services one per task meant to
 * run, global jobs one per task meant to run that has not completed yet. The docker CLI prints a
 * global job as `running/desired (completed/desired+completed completed)`.
 */
export function serviceStatus(tx: ReadTx, service: ServiceObject): ServiceStatus {
  const mode = service.Spec.Mode;
  const isJob = Boolean(mode.ReplicatedJob || mode.GlobalJob);
  const run = service.SpecVersion?.Index;
  // A job's tasks of earlier runs (spec versions) count for nothing.
  const tasks = tx.find('tasks', 'service', service.ID).filter((t) => !isJob || t.SpecVersion?.Index === run);
  const onLiveNode = (t: TaskObject): boolean => !t.NodeID || tx.get('nodes', t.NodeID)?.Status.State !== 'down';
  // A task being shut down (an update replacing it, a drained node) no longer counts.
  const meantToRun = (t: TaskObject): boolean => t.DesiredState === 'running' || t.DesiredState === 'complete';
  const running = tasks.filter((t) => t.Status.State === 'running' && meantToRun(t) && onLiveNode(t)).length;
  const completed = isJob ? tasks.filter((t) => t.Status.State === 'complete').length : 0;
  let desired: number;
  if (mode.Replicated) desired = mode.Replicated.Replicas ?? 1;
  else if (mode.ReplicatedJob) desired = mode.ReplicatedJob.MaxConcurrent ?? 1;
  else if (mode.GlobalJob) desired = tasks.filter((t) => meantToRun(t) && t.Status.State !== 'complete').length;
  else desired = tasks.filter(meantToRun).length;
  return { RunningTasks: running, DesiredTasks: desired, CompletedTasks: completed };
}
