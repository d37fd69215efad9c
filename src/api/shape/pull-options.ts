import type { ServiceSpec, TaskSpec } from '../../cluster/types.js';

/** A task spec without the registry credentials of `--with-registry-auth`: Docker never shows them. */
export function hidePullOptions(task: TaskSpec): TaskSpec {
  if (!task.ContainerSpec?.PullOptions) return task;
  const { PullOptions: _hidden, ...container } = task.ContainerSpec;
  return { ...task, ContainerSpec: container };
}

/** A service spec without them. */
export const hideServicePullOptions = (spec: ServiceSpec): ServiceSpec => ({ ...spec, TaskTemplate: hidePullOptions(spec.TaskTemplate) });
