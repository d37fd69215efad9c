import type { TaskObject } from '../../cluster/types.js';
import { parseConstraints } from '../constraints.js';
import type { ServiceContext } from './plan.js';
import { groupSlots, nodeProblem, retire, takesNewTasks } from './slots.js';
import type { Updates } from './updater.js';

/**
 * Keeps one task of a global service on every node that can run it. A node that is ready,
 * active and satisfies the constraints gets one (and a replacement when it ends, per the
 * restart policy); a paused node keeps what it runs but gets nothing new; a node that is down,
 * drained, removed or no longer satisfies the constraints has its task shut down.
 */
export function reconcileGlobal(ctx: ServiceContext, tasks: readonly TaskObject[], updates: Updates): void {
  const { service, plan, nodes } = ctx;
  const constraints = parseConstraints(service.Spec.TaskTemplate.Placement?.Constraints);
  const slots = groupSlots(tasks, plan, (t) => t.NodeID);
  for (const slot of slots.values()) {
    const problem = nodeProblem(nodes.get(slot.id as string), constraints);
    retire(slot, ctx, () => problem);
  }
  for (const node of nodes.values()) {
    if (!takesNewTasks(node, constraints) || slots.has(node.ID)) continue;
    const slot = { id: node.ID, tasks: [] };
    slots.set(node.ID, slot);
    plan.spawn(service, slot);
  }
  updates.converge(ctx, slots, (slot) => takesNewTasks(nodes.get(slot.id as string), constraints));
}
