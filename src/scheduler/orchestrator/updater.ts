import type { TaskObject, UpdateConfig } from '../../cluster/types.js';
import { endedByItself, isFinished, nsToMs } from '../task-states.js';
import { isTaskDirty } from './dirty.js';
import type { SlotId } from './new-task.js';
import type { ServiceContext } from './plan.js';
import { liveTasks, refill, STOP_TIMEOUT_MS, stillStopping, vacancy, type Slot, type Vacancy } from './slots.js';
import { completeUpdate, pauseUpdate, rollBack, startUpdate, updateState } from './update-status.js';

/** An UpdateConfig (or RollbackConfig) with swarmkit's defaults filled in. */
interface RolloutSettings {
  /** Slots replaced at the same time (Parallelism 0: all at once). */
  parallelism: number;
  delayMs: number;
  monitorMs: number;
  failureAction: 'pause' | 'continue' | 'rollback';
  maxFailureRatio: number;
  startFirst: boolean;
}

const DEFAULT_MONITOR_MS = 5000;

function settingsOf(config: UpdateConfig | undefined): RolloutSettings {
  const parallelism = config ? (config.Parallelism ?? 0) : 1;
  return {
    parallelism: parallelism === 0 ? Infinity : parallelism,
    delayMs: nsToMs(config?.Delay, 0),
    monitorMs: nsToMs(config?.Monitor, DEFAULT_MONITOR_MS),
    failureAction: config?.FailureAction ?? 'pause',
    maxFailureRatio: config?.MaxFailureRatio ?? 0,
    startFirst: config?.Order === 'start-first',
  };
}

/** A slot being moved to the new spec. */
interface InFlight {
  since: number;
  /** The task the slot is moving to; unset while a stop-first update waits for the old task to stop. */
  replacement?: string;
}

type Outcome = { kind: 'busy' } | { kind: 'failed'; taskId: string } | { kind: 'done' };

/**
 * One rolling update of one service to one spec version, advanced a step on every pass:
 * `parallelism` lanes each take a dirty slot, replace its task (stop-first: stop the old one,
 * then create the new one; start-first: create the new one, stop the old one once the new one
 * runs), rest `delay`, and take the next. Tasks it created that fail, before running or within
 * `monitor` of starting to, count against MaxFailureRatio. Once no slot is dirty it watches
 * for one more monitor period, then it is complete.
 */
class Rollout {
  readonly inFlight = new Map<SlotId, InFlight>();
  /** Tasks this rollout created, with when they were first seen running. */
  private readonly created = new Map<string, number | undefined>();
  private readonly failed = new Set<string>();
  /** When each lane that finished a slot may take the next one (after the update delay). */
  private resting: number[] = [];
  private quietSince?: number;

  constructor(
    readonly specVersion: number,
    readonly settings: RolloutSettings,
    private readonly dirtyAtStart: number,
    /** False when the service already showed a finished update: this one then stays quiet. */
    readonly reportsStatus: boolean,
  ) {}

  advance(ctx: ServiceContext, slots: ReadonlyMap<SlotId, Slot>, dirtySlots: Slot[], dirty: (t: TaskObject) => boolean): Outcome {
    const now = ctx.plan.now;
    const failedTask = this.firstFailure(slots, now);
    if (failedTask) return { kind: 'failed', taskId: failedTask };
    for (const [id, flight] of this.inFlight) this.progress(ctx, slots.get(id), id, flight);

    this.resting = this.resting.filter((t) => t > now);
    const waiting = dirtySlots.filter((s) => !this.inFlight.has(s.id));
    let free = this.settings.parallelism - this.inFlight.size - this.resting.length;
    while (free > 0 && waiting.length > 0) {
      const slot = waiting.shift()!;
      this.begin(ctx, slot, dirty);
      this.progress(ctx, slot, slot.id, this.inFlight.get(slot.id)!);
      free--;
    }
    if (waiting.length > 0 && this.resting.length > 0) ctx.plan.wake(Math.min(...this.resting));
    if (this.inFlight.size > 0 || waiting.length > 0) {
      this.quietSince = undefined;
      return { kind: 'busy' };
    }
    this.quietSince ??= now;
    const finishAt = Math.max(this.quietSince, ...this.resting) + this.settings.monitorMs;
    if (now >= finishAt) return { kind: 'done' };
    ctx.plan.wake(finishAt);
    return { kind: 'busy' };
  }

  private begin(ctx: ServiceContext, slot: Slot, dirty: (t: TaskObject) => boolean): void {
    const live = liveTasks(slot, ctx.plan);
    const current = live.find((t) => !dirty(t));
    if (current) {
      // Already has a task of the new spec (a start-first leftover): keep it, stop the rest.
      this.inFlight.set(slot.id, { since: ctx.plan.now, replacement: current.ID });
    } else if ((live.length > 0 && !this.settings.startFirst) || slot.tasks.some((t) => !ctx.plan.isLive(t) && stillStopping(t, ctx.nodes))) {
      // stop-first (or an old task is still stopping): the new task comes once the old ones stopped.
      for (const t of live) ctx.plan.setDesired(t, 'shutdown');
      this.inFlight.set(slot.id, { since: ctx.plan.now });
    } else {
      // start-first (one old task, a running one if any, serves until the new one runs), or a
      // slot whose last task ended: the new spec gets its chance.
      const serving = live.find((t) => t.Status.State === 'running') ?? live[0];
      for (const t of live) if (t !== serving) ctx.plan.setDesired(t, 'shutdown');
      this.inFlight.set(slot.id, { since: ctx.plan.now, replacement: this.spawn(ctx, slot).ID });
    }
    ctx.log.info({ slot: slot.id, tasks: live.map((t) => t.ID), order: this.settings.startFirst ? 'start-first' : 'stop-first' }, 'updating slot');
  }

  private progress(ctx: ServiceContext, slot: Slot | undefined, id: SlotId, flight: InFlight): void {
    const { plan, nodes } = ctx;
    if (!slot) {
      this.inFlight.delete(id); // scaled away
      return;
    }
    if (flight.replacement === undefined) {
      const deadline = flight.since + STOP_TIMEOUT_MS;
      if (plan.now < deadline && slot.tasks.some((t) => !plan.isLive(t) && stillStopping(t, nodes))) {
        plan.wake(deadline);
        return;
      }
      flight.replacement = this.spawn(ctx, slot).ID;
    }
    const replacement = slot.tasks.find((t) => t.ID === flight.replacement);
    if (replacement && !isFinished(replacement) && replacement.Status.State !== 'running') return;
    if (replacement?.Status.State === 'running') for (const t of liveTasks(slot, plan)) if (t !== replacement) plan.setDesired(t, 'shutdown');
    this.inFlight.delete(id);
    this.resting.push(plan.now + this.settings.delayMs);
  }

  private spawn(ctx: ServiceContext, slot: Slot): TaskObject {
    const task = ctx.plan.spawn(ctx.service, slot);
    this.created.set(task.ID, undefined);
    return task;
  }

  /** A task this rollout created that failed in a way that calls for the failure action. */
  private firstFailure(slots: ReadonlyMap<SlotId, Slot>, now: number): string | undefined {
    if (this.created.size === 0) return undefined;
    for (const slot of slots.values()) {
      for (const task of slot.tasks) {
        if (!this.created.has(task.ID) || this.failed.has(task.ID)) continue;
        const runningSince = this.created.get(task.ID);
        if (task.Status.State === 'running' && runningSince === undefined) this.created.set(task.ID, now);
        if (!endedByItself(task) || (runningSince !== undefined && now - runningSince > this.settings.monitorMs)) continue;
        this.failed.add(task.ID);
        if (this.settings.failureAction !== 'continue' && this.failed.size / this.dirtyAtStart > this.settings.maxFailureRatio) return task.ID;
      }
    }
    return undefined;
  }
}

const isSlotDirty = (slot: Slot, ctx: ServiceContext, dirty: (t: TaskObject) => boolean): boolean => {
  const live = liveTasks(slot, ctx.plan);
  if (live.length > 1) return true;
  if (live.length === 1) return dirty(live[0]);
  return dirty(slot.tasks.reduce((a, b) => (b.Version.Index > a.Version.Index ? b : a)));
};

/**
 * Rolling updates of every service, and what the orchestrators do with their slots once
 * scaling is settled: roll the current spec out, then refill the vacant slots no update holds.
 */
export class Updates {
  private readonly rollouts = new Map<string, Rollout>();

  /**
   * `open` slots are those that may get new tasks (all of a replicated service; for a global
   * service, those on nodes taking new tasks). Their dirty slots are updated: a live task of an
   * older spec, two live tasks, or no live task and a last task of an older spec (the update
   * replaces it without waiting for a restart delay, and even if the restart policy would not).
   * The other vacant slots are refilled as the restart policy says.
   */
  converge(ctx: ServiceContext, slots: ReadonlyMap<SlotId, Slot>, open: (slot: Slot) => boolean): void {
    const vacancies = new Map<SlotId, Vacancy>();
    const updatable: Slot[] = [];
    for (const slot of slots.values()) {
      if (!open(slot)) continue;
      updatable.push(slot);
      if (liveTasks(slot, ctx.plan).length === 0) vacancies.set(slot.id, vacancy(slot, ctx));
    }
    const held = this.step(ctx, slots, updatable);
    if (!held) return; // rolled back: the next pass works from the restored spec
    for (const [id, v] of vacancies) if (!held.has(id)) refill(slots.get(id)!, v, ctx);
  }

  forget(serviceId: string): void {
    this.rollouts.delete(serviceId);
  }

  /** Advances the service's rolling update; returns the slots it holds, or undefined after a rollback. */
  private step(ctx: ServiceContext, slots: ReadonlyMap<SlotId, Slot>, updatable: Slot[]): ReadonlySet<SlotId> | undefined {
    const { service, nodes, log } = ctx;
    const dirty = (t: TaskObject): boolean => isTaskDirty(service, t, nodes.get(t.NodeID ?? ''));
    const dirtySlots = updatable.filter((s) => isSlotDirty(s, ctx, dirty)).sort((a, b) => (a.id < b.id ? -1 : 1));
    const state = updateState(ctx);
    const version = service.SpecVersion?.Index ?? 0;
    let rollout = this.rollouts.get(service.ID);
    if (rollout && (rollout.specVersion !== version || state === 'paused' || state === 'rollback_paused')) {
      this.rollouts.delete(service.ID);
      rollout = undefined;
    }
    if (state === 'paused' || state === 'rollback_paused') return new Set();
    if (!rollout) {
      if (dirtySlots.length === 0) {
        if (state === 'updating' || state === 'rollback_started') completeUpdate(ctx);
        return new Set();
      }
      const rollback = state === 'rollback_started';
      const settings = settingsOf(rollback ? service.Spec.RollbackConfig : service.Spec.UpdateConfig);
      rollout = new Rollout(version, settings, dirtySlots.length, state !== 'completed' && state !== 'rollback_completed');
      this.rollouts.set(service.ID, rollout);
      if (state === undefined) startUpdate(ctx);
      log.info({ slots: dirtySlots.length, rollback, ...settings }, 'rolling update started');
    }
    const outcome = rollout.advance(ctx, slots, dirtySlots, dirty);
    if (outcome.kind === 'busy') return new Set(rollout.inFlight.keys());
    this.rollouts.delete(service.ID);
    if (outcome.kind === 'done') {
      if (rollout.reportsStatus) completeUpdate(ctx);
      log.info('rolling update completed');
      return new Set();
    }
    return this.onFailure(ctx, rollout, outcome.taskId);
  }

  private onFailure(ctx: ServiceContext, rollout: Rollout, taskId: string): ReadonlySet<SlotId> | undefined {
    const rollingBack = updateState(ctx) === 'rollback_started';
    const previous = ctx.service.PreviousSpec;
    if (rollout.settings.failureAction === 'rollback' && !rollingBack && previous) {
      rollBack(ctx, previous, `update rolled back due to failure or early termination of task ${taskId}`);
      ctx.log.warn({ task: taskId }, 'update failed; rolling back');
      return undefined;
    }
    const what = rollout.settings.failureAction === 'rollback' && rollingBack ? 'rollback' : 'update';
    pauseUpdate(ctx, `${what} paused due to failure or early termination of task ${taskId}`);
    ctx.log.warn({ task: taskId }, `${what} paused`);
    return new Set();
  }
}
