import type { TaskObject } from '../../cluster/types.js';
import type { SlotId } from './new-task.js';
import type { ServiceContext } from './plan.js';
import { groupSlots, liveTasks, placedTaskProblem, retire, type Slot } from './slots.js';
import type { Updates } from './updater.js';

/**
 * Keeps `Replicas` slots of a replicated service filled: replaces tasks that ended or lost
 * their node (restart policy), removes the slots beyond Replicas, opens the lowest free slot
 * numbers up to Replicas, and lets the updater roll a new spec out. A change of Replicas alone
 * leaves the running tasks alone.
 */
export function reconcileReplicated(ctx: ServiceContext, tasks: readonly TaskObject[], updates: Updates): void {
  const { service, plan, nodes } = ctx;
  const slots = groupSlots(tasks, plan, (t) => ((t.Slot ?? 0) > 0 ? t.Slot : undefined));
  for (const slot of slots.values()) {
    retire(slot, ctx, placedTaskProblem(nodes));
  }
  const replicas = service.Spec.Mode.Replicated?.Replicas ?? 1;
  if (slots.size > replicas) scaleDown(ctx, slots, replicas);
  for (let n = 1; slots.size < replicas; n++) {
    if (slots.has(n)) continue;
    const slot: Slot = { id: n, tasks: [] };
    slots.set(n, slot);
    plan.spawn(service, slot);
  }
  updates.converge(ctx, slots, () => true);
}

/**
 * Gives up the slots beyond `replicas` (their tasks' desired state becomes `remove`, as in
 * swarmkit: they disappear from `service ps` once stopped). Like swarmkit it keeps the
 * service balanced: slots whose task is the 3rd copy on its node go before 2nd copies, slots
 * without a single placed task go first, running tasks are kept over others, then the
 * highest slot numbers go.
 */
function scaleDown(ctx: ServiceContext, slots: Map<SlotId, Slot>, replicas: number): void {
  const { plan, log } = ctx;
  const ranked = [...slots.values()].map((slot) => {
    const live = liveTasks(slot, plan);
    return { slot, placed: live.length === 1 ? live[0].NodeID : undefined, running: live.some((t) => t.Status.State === 'running') };
  });
  ranked.sort((a, b) => Number(b.running) - Number(a.running) || (a.slot.id as number) - (b.slot.id as number));
  const copiesOnNode = new Map<string, number>();
  const keepOrder = ranked.map((r) => {
    if (!r.placed) return { ...r, copy: Infinity };
    const copy = (copiesOnNode.get(r.placed) ?? 0) + 1;
    copiesOnNode.set(r.placed, copy);
    return { ...r, copy };
  });
  keepOrder.sort((a, b) => (a.copy === b.copy ? 0 : a.copy < b.copy ? -1 : 1));
  const removed = keepOrder.slice(replicas).map(({ slot }) => {
    for (const t of slot.tasks) plan.setDesired(t, 'remove');
    slots.delete(slot.id);
    return slot.id;
  });
  log.info({ replicas, slots: removed }, 'scaled down: slots removed');
}
