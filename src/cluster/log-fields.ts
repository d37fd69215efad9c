import type { TaskObject } from './types.js';

/**
 * What every log line about a task says: the task, its service (name and ID), its node and the
 * networks it is on, so a line can be found by any of them (`jq 'select(.service=="web")'`).
 */
export function taskLogFields(task: TaskObject, serviceName?: string): Record<string, string | number> {
  const networks = (task.NetworksAttachments ?? []).map((a) => a.Network.Spec.Name).filter((n) => n);
  return {
    task: task.ID,
    service: serviceName ?? task.ServiceID,
    serviceId: task.ServiceID,
    ...(task.NodeID ? { node: task.NodeID } : {}),
    ...(task.Slot ? { slot: task.Slot } : {}),
    ...(networks.length ? { networks: networks.join(',') } : {}),
  };
}
