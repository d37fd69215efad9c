/**
 * Labels that mark what the docker executor made, so it finds its objects again after a restart:
 * which executor (daemon) owns them, for which task, and as what. The swarm labels of the task
 * (`com.docker.swarm.*`) go on the task's container only, so tools that count a service's
 * containers by them see one container per task.
 */
export const LABEL_EXECUTOR = 'com.shoal.executor';
export const LABEL_TASK = 'com.shoal.task.id';
export const LABEL_ROLE = 'com.shoal.role';
/** On the sandbox: how many veths the task has (their names follow from the task ID). */
export const LABEL_NETWORKS = 'com.shoal.networks';

/** The task's command; its sandbox holding the network namespace; the tmpfs volume of its files. */
export type ObjectRole = 'task' | 'sandbox' | 'files';

export function ownLabels(executor: string, taskId: string, role: ObjectRole): Record<string, string> {
  return { [LABEL_EXECUTOR]: executor, [LABEL_TASK]: taskId, [LABEL_ROLE]: role };
}

/** A `filters` value for list calls: this executor's objects, of one task when given. */
export function ownFilter(executor: string, taskId?: string, role?: ObjectRole): { label: string[] } {
  const label = [`${LABEL_EXECUTOR}=${executor}`];
  if (taskId !== undefined) label.push(`${LABEL_TASK}=${taskId}`);
  if (role !== undefined) label.push(`${LABEL_ROLE}=${role}`);
  return { label };
}
