import type { RestartCondition, TaskObject } from '../../cluster/types.js';
import { nsToMs } from '../task-states.js';

/** swarmkit's default restart delay (`--restart-delay`). */
const DEFAULT_RESTART_DELAY_MS = 5000;

export const restartCondition = (task: TaskObject): RestartCondition => task.Spec.RestartPolicy?.Condition ?? 'any';

/** How long after a task ends its replacement is created. */
export const restartDelayMs = (task: TaskObject): number => nsToMs(task.Spec.RestartPolicy?.Delay, DEFAULT_RESTART_DELAY_MS);

interface SlotRestarts {
  specVersion: number | undefined;
  /** When each restart of this spec version in the slot happened. */
  times: number[];
}

/**
 * Restarts per slot (service+slot, or service+node for global tasks), for the restart
 * policy's MaxAttempts within Window. Kept in memory as swarmkit does: a manager restart
 * forgets it, and a new spec version starts the count again.
 */
export class RestartHistory {
  private readonly slots = new Map<string, SlotRestarts>();

  /**
   * Whether the restart policy lets a task that ended by itself at `endedAt` be replaced:
   * condition `none` never, `on-failure` unless it completed, and no more than MaxAttempts
   * restarts (within the Window before `endedAt`, when one is set).
   */
  allows(task: TaskObject, key: string, endedAt: number): boolean {
    const condition = restartCondition(task);
    if (condition === 'none' || (condition === 'on-failure' && task.Status.State === 'complete')) return false;
    const max = task.Spec.RestartPolicy?.MaxAttempts ?? 0;
    if (max === 0) return true;
    const history = this.slots.get(key);
    if (!history || history.specVersion !== task.SpecVersion?.Index) return true;
    const window = nsToMs(task.Spec.RestartPolicy?.Window, 0);
    const counted = window > 0 ? history.times.filter((t) => t > endedAt - window && t <= endedAt) : history.times;
    return counted.length < max;
  }

  /** Notes that a replacement was created in the slot for a task that ended by itself. */
  record(replacement: TaskObject, key: string, at: number): void {
    if (!replacement.Spec.RestartPolicy?.MaxAttempts) return;
    const version = replacement.SpecVersion?.Index;
    let history = this.slots.get(key);
    if (!history || history.specVersion !== version) this.slots.set(key, (history = { specVersion: version, times: [] }));
    history.times.push(at);
  }

  forgetService(serviceId: string): void {
    for (const key of this.slots.keys()) if (key.startsWith(`${serviceId}/`)) this.slots.delete(key);
  }
}
