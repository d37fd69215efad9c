import { TASK_STATES, type TaskObject, type TaskState } from '../cluster/types.js';

const RANK = new Map<TaskState, number>(TASK_STATES.map((s, i) => [s, i]));

/** A state's place in Swarm's order: a task's state (and desired state) only ever grows. */
export const stateRank = (state: TaskState): number => RANK.get(state)!;

const ASSIGNED = stateRank('assigned');
const RUNNING = stateRank('running');

/** The task stopped for good: complete, shutdown, failed, rejected, remove or orphaned. */
export const isFinished = (task: TaskObject): boolean => stateRank(task.Status.State) > RUNNING;

/** The manager still wants this desired state to run (desired state running or before it). */
export const isRunDesired = (desired: TaskState): boolean => stateRank(desired) <= RUNNING;

/** The task sits on its node and holds what it reserved there: assigned up to running. */
export const isOnNode = (task: TaskObject): boolean => {
  const rank = stateRank(task.Status.State);
  return rank >= ASSIGNED && rank <= RUNNING;
};

/** The task never reached a node, so no agent will ever report on it. */
export const neverPlaced = (task: TaskObject): boolean => stateRank(task.Status.State) < ASSIGNED;

/** The task ended by itself (its process exited or could not start), not because it was told to stop. */
export const endedByItself = (task: TaskObject): boolean =>
  task.Status.State === 'complete' || task.Status.State === 'failed' || task.Status.State === 'rejected';

/** Docker API durations are nanoseconds; timers take milliseconds. */
export const nsToMs = (ns: number | undefined, fallbackMs: number): number => (ns === undefined ? fallbackMs : ns / 1e6);

export const isoTime = (ms: number): string => new Date(ms).toISOString();
