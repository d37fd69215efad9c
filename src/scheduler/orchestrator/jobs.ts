import type { TaskObject } from '../../cluster/types.js';
import { parseConstraints } from '../constraints.js';
import type { ServiceContext } from './plan.js';
import { groupSlots, liveTasks, nodeProblem, placedTaskProblem, refill, retire, takesNewTasks, vacancy, type Slot } from './slots.js';

/**
 * Jobs (`--mode replicated-job|global-job`): tasks run to completion and a completed task is
 * never restarted. Each spec version of the service is one run of the job (swarmkit's
 * JobIteration: `service update` runs it again): the live tasks of earlier versions are shut
 * down. A task that fails is replaced as the restart policy says; a slot whose restart policy
 * gives up counts as finished, so a job always ends.
 */

/**
 * A replicated job: TotalCompletions slots (numbered from 1) must each see a task complete, with
 * no more than MaxConcurrent of them in progress at a time. The job is done when every slot
 * has finished; then nothing more is created.
 */
export function reconcileReplicatedJob(ctx: ServiceContext, tasks: readonly TaskObject[]): void {
  const { service, plan, nodes } = ctx;
  const job = service.Spec.Mode.ReplicatedJob ?? {};
  const total = job.TotalCompletions ?? 1;
  const maxConcurrent = job.MaxConcurrent ?? 1;
  const slots = groupSlots(currentRun(ctx, tasks), plan, (t) => ((t.Slot ?? 0) > 0 ? t.Slot : undefined));
  let inProgress = 0;
  for (const slot of slots.values()) {
    markCompleted(slot, ctx);
    retire(slot, ctx, placedTaskProblem(nodes));
    if (!finishSlot(slot, ctx, true)) inProgress++;
  }
  for (let n = 1; slots.size < total && inProgress < maxConcurrent; n++) {
    if (slots.has(n)) continue;
    const slot: Slot = { id: n, tasks: [] };
    slots.set(n, slot);
    plan.spawn(service, slot);
    inProgress++;
  }
}

/**
 * A global job: one task to completion on every node that can run one, nodes that join later
 * included. A node that is down, drained or no longer satisfies the constraints has its task
 * shut down and gets no other.
 */
export function reconcileGlobalJob(ctx: ServiceContext, tasks: readonly TaskObject[]): void {
  const { service, plan, nodes } = ctx;
  const constraints = parseConstraints(service.Spec.TaskTemplate.Placement?.Constraints);
  const slots = groupSlots(currentRun(ctx, tasks), plan, (t) => t.NodeID);
  for (const slot of slots.values()) {
    const node = nodes.get(slot.id as string);
    markCompleted(slot, ctx);
    retire(slot, ctx, () => nodeProblem(node, constraints));
    finishSlot(slot, ctx, takesNewTasks(node, constraints));
  }
  for (const node of nodes.values()) {
    if (takesNewTasks(node, constraints) && !slots.has(node.ID)) plan.spawn(service, { id: node.ID, tasks: [] });
  }
}

/** The tasks of this run of the job; the live ones of earlier runs are shut down. */
function currentRun(ctx: ServiceContext, tasks: readonly TaskObject[]): TaskObject[] {
  const run = ctx.service.SpecVersion?.Index;
  const current: TaskObject[] = [];
  for (const t of tasks) {
    if (t.SpecVersion?.Index === run) current.push(t);
    else if (ctx.plan.isLive(t) && ctx.plan.setDesired(t, 'shutdown')) ctx.log.info({ task: t.ID, slot: t.Slot ?? t.NodeID }, 'task of an earlier run of the job shut down');
  }
  return current;
}

/** A task that completed did what was wanted of it: its desired state becomes Complete, as Docker shows it (not Shutdown). */
function markCompleted(slot: Slot, ctx: ServiceContext): void {
  for (const t of slot.tasks) if (t.Status.State === 'complete') ctx.plan.setDesired(t, 'complete');
}

/**
 * Whether the slot is finished: one of its tasks completed, or its last one failed and the
 * restart policy gives up. A slot with no live task that is not finished is refilled when due
 * (if `refillable`).
 */
function finishSlot(slot: Slot, ctx: ServiceContext, refillable: boolean): boolean {
  if (slot.tasks.some((t) => t.Status.State === 'complete')) return true;
  if (liveTasks(slot, ctx.plan).length > 0) return false;
  const due = vacancy(slot, ctx);
  if (due.kind === 'resting') return true;
  if (refillable) refill(slot, due, ctx);
  return false;
}
