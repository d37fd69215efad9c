import type { TaskObject } from '../../cluster/types.js';

/** A task as the Engine API shows it: no internal `SpecVersion`, and no `Runtime` in its spec (as Docker). */
export function shapeTask(task: TaskObject): object {
  const { SpecVersion: _specVersion, Spec, ...rest } = task;
  const { Runtime: _runtime, ...spec } = Spec;
  return {
    ...rest,
    Labels: task.Labels ?? {},
    Spec: spec,
    Status: { ...task.Status, PortStatus: task.Status.PortStatus ?? {} },
  };
}
