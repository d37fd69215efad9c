import type { ServiceSpec, UpdateConfig } from '../types.js';

const SECOND = 1e9;

const defaultUpdateConfig = (): UpdateConfig => ({
  Parallelism: 1,
  FailureAction: 'pause',
  Monitor: 5 * SECOND,
  MaxFailureRatio: 0,
  Order: 'stop-first',
});

/**
 * The spec with swarmkit's defaults filled in where a whole part is missing, which is what
 * `GET /services/{id}?insertDefaults=true` shows (`docker service inspect`).
 */
export function withServiceDefaults(spec: ServiceSpec): ServiceSpec {
  const task = { ...spec.TaskTemplate };
  if (task.ContainerSpec) {
    task.ContainerSpec = { ...task.ContainerSpec };
    task.ContainerSpec.StopGracePeriod ??= 10 * SECOND;
    task.ContainerSpec.DNSConfig ??= {};
  }
  task.Resources ??= {};
  task.RestartPolicy ??= { Condition: 'any', Delay: 5 * SECOND, MaxAttempts: 0 };
  task.Placement ??= {};
  return {
    ...spec,
    TaskTemplate: task,
    UpdateConfig: spec.UpdateConfig ?? defaultUpdateConfig(),
    RollbackConfig: spec.RollbackConfig ?? defaultUpdateConfig(),
  };
}
