import type { TaskObject } from '../../cluster/types.js';
import { hidePullOptions } from './pull-options.js';

/** A task as the Engine API shows it: no internal `SpecVersion`, and no `Runtime` or registry credentials in its spec (as Docker). */
export function shapeTask(task: TaskObject): object {
  const { SpecVersion: _specVersion, Spec, ...rest } = task;
  const { Runtime: _runtime, ...spec } = hidePullOptions(Spec);
  return {
    ...rest,
    Labels: task.Labels ?? {},
    Spec: spec,
    Status: { ...task.Status, PortStatus: task.Status.PortStatus ?? {} },
  };
}
