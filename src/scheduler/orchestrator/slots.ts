import { slotKey } from '../../cluster/store/index.js';
import type { NodeObject, TaskObject } from '../../cluster/types.js';
import { nodeMatches, parseConstraints, type Constraint } from '../constraints.js';
import { isUnhealthy } from '../../cluster/task-health.js';
import { endedByItself, isFinished, isOnNode } from '../task-states.js';
import type { SlotId } from './new-task.js';
import type { ServiceContext, ServicePlan } from './plan.js';
import { restartDelayMs } from './restart.js';

/**
 * How long a replacement waits for the task it replaces to stop before it is created anyway
 * (swarmkit's defaultOldTaskTimeout): an agent that never answers must not hold a slot.
 */
export const STOP_TIMEOUT_MS = 60_000;

/**
 * A replicated slot or a global task's node, with the tasks in it that are not being removed:
 * at most one live task (two while a start-first update overlaps them), and history whose
 * desired state is `shutdown`. Tasks with desired state `remove` belong to no slot (a
 * scale-down or a removed service gave them up).
 */
export interface Slot {
  readonly id: SlotId;
  readonly tasks: TaskObject[];
}

export function groupSlots(tasks: readonly TaskObject[], plan: ServicePlan, idOf: (t: TaskObject) => SlotId | undefined): Map<SlotId, Slot> {
  const slots = new Map<SlotId, Slot>();
  for (const task of tasks) {
    const id = idOf(task);
    if (id === undefined || plan.desiredOf(task) === 'remove') continue;
    const slot = slots.get(id);
    if (slot) slot.tasks.push(task);
    else slots.set(id, { id, tasks: [task] });
  }
  return slots;
}

export const liveTasks = (slot: Slot, plan: ServicePlan): TaskObject[] => slot.tasks.filter((t) => plan.isLive(t));

const nodeLost = (node: NodeObject | undefined): boolean => !node || node.Status.State === 'down';

/** The task is on a node that is still there to stop it. */
export const stillStopping = (task: TaskObject, nodes: ReadonlyMap<string, NodeObject>): boolean =>
  isOnNode(task) && !nodeLost(nodes.get(task.NodeID ?? ''));

/**
 * Gives up the slot's live tasks that ended or failed their health check, and those `problem` finds fault with (their node
 * is gone, down, drained...): their desired state becomes `shutdown`, and the slot is
 * refilled as `vacancy` says.
 */
export function retire(slot: Slot, ctx: ServiceContext, problem: (t: TaskObject) => string | undefined): void {
  for (const task of liveTasks(slot, ctx.plan)) {
    const why = isFinished(task) ? `task ${task.Status.State}` : isUnhealthy(task) ? 'health check failed' : problem(task);
    if (!why) continue;
    ctx.plan.setDesired(task, 'shutdown');
    ctx.log.info({ task: task.ID, slot: slot.id, node: task.NodeID, state: task.Status.State, err: task.Status.Err, why }, 'task shut down');
  }
}

/** What becomes of a slot that has no live task. */
export type Vacancy =
  /** The restart policy says its last task stays ended (until the service's spec changes). */
  | { kind: 'resting' }
  /** A new task goes in at `at`; `restart` when that is a restart under the policy. */
  | { kind: 'refill'; at: number; restart: boolean };

/**
 * Decides when a slot without a live task gets a new one, from what its tasks tell:
 * - one still stopping on a node that is up: once it has stopped (or STOP_TIMEOUT_MS passed);
 * - the last one ended by itself: as the restart policy says (condition, max attempts), after
 *   the restart delay (none if its node is drained, as in swarmkit);
 * - the last one is on a node that went down or away: after the restart delay (the agent
 *   cannot be asked to stop it);
 * - the last one stopped because it was told to: now.
 * "Last" is the task written last: when a slot's tasks end one after the other, the one that
 * ended most recently.
 */
export function vacancy(slot: Slot, ctx: ServiceContext): Vacancy {
  const { plan, nodes } = ctx;
  const stopping = slot.tasks.filter((t) => stillStopping(t, nodes));
  if (stopping.length > 0) return { kind: 'refill', at: Math.max(...stopping.map((t) => Date.parse(t.UpdatedAt) + STOP_TIMEOUT_MS)), restart: false };
  const last = slot.tasks.reduce((a, b) => (b.Version.Index > a.Version.Index ? b : a));
  const endedAt = Date.parse(last.UpdatedAt) || plan.now;
  if (endedByItself(last)) {
    if (!ctx.restarts.allows(last, slotKey(ctx.service.ID, slot.id), endedAt)) return { kind: 'resting' };
    const drained = nodes.get(last.NodeID ?? '')?.Spec.Availability === 'drain';
    return { kind: 'refill', at: endedAt + (drained ? 0 : restartDelayMs(last)), restart: true };
  }
  if (!isFinished(last)) return { kind: 'refill', at: endedAt + restartDelayMs(last), restart: false };
  return { kind: 'refill', at: plan.now, restart: false };
}

/** Creates the slot's new task when its vacancy is due, or asks to be woken then. */
export function refill(slot: Slot, due: Vacancy, ctx: ServiceContext): void {
  if (due.kind === 'resting') return;
  if (due.at > ctx.plan.now) {
    ctx.plan.wake(due.at);
    return;
  }
  const task = ctx.plan.spawn(ctx.service, slot);
  if (due.restart) ctx.restarts.record(task, slotKey(ctx.service.ID, slot.id), ctx.plan.now);
  ctx.log.info({ task: task.ID, slot: slot.id, restart: due.restart }, 'replacement task created');
}

/** Why a task cannot stay on its node, if it cannot: the node is gone, down, drained, or no longer matches. */
export function nodeProblem(node: NodeObject | undefined, constraints: readonly Constraint[]): string | undefined {
  if (!node) return 'node removed';
  if (node.Status.State === 'down') return 'node down';
  if (node.Spec.Availability === 'drain') return 'node drained';
  if (!nodeMatches(constraints, node)) return 'node no longer satisfies the placement constraints';
  return undefined;
}

/** What is wrong with the node a replicated task was placed on, for `retire`. */
export const placedTaskProblem =
  (nodes: ReadonlyMap<string, NodeObject>) =>
  (task: TaskObject): string | undefined =>
    task.NodeID ? nodeProblem(nodes.get(task.NodeID), parseConstraints(task.Spec.Placement?.Constraints)) : undefined;

/** The node is ready, active and satisfies the constraints: a global service's task may be created there. */
export const takesNewTasks = (node: NodeObject | undefined, constraints: readonly Constraint[]): node is NodeObject =>
  node?.Status.State === 'ready' && node.Spec.Availability === 'active' && !nodeProblem(node, constraints);
