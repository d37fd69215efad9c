import type { ServiceObject, TaskObject } from '../../cluster/types.js';
import { newId } from '../../util/ids.js';
import { isoTime } from '../task-states.js';

/** A replicated task's slot number, or the node a global task belongs to. */
export type SlotId = number | string;

/** A new task of the service's current spec, for a replicated slot or a global task's node. */
export function newTask(service: ServiceObject, slot: SlotId, now: number): TaskObject {
  return {
    ID: newId(),
    Version: { Index: 0 },
    CreatedAt: '',
    UpdatedAt: '',
    Labels: {},
    Spec: structuredClone(service.Spec.TaskTemplate),
    ServiceID: service.ID,
    ...(typeof slot === 'number' ? { Slot: slot } : { NodeID: slot }),
    Status: { Timestamp: isoTime(now), State: 'new', Message: 'created', PortStatus: {} },
    DesiredState: 'running',
    ...(service.SpecVersion && { SpecVersion: { Index: service.SpecVersion.Index } }),
  };
}
