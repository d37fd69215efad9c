import type { ServiceObject, UpdateState } from '../../cluster/types.js';
import { isoTime } from '../task-states.js';
import type { ServiceContext } from './plan.js';

/**
 * The service's `UpdateStatus` transitions, with swarmkit's words (the CLI prints them).
 * controlapi owns the two starting points: it clears UpdateStatus on every spec update, and
 * sets `rollback_started` / "manually requested rollback" for `rollback=previous` — which is
 * how a rollback is told from an update.
 */
export const updateState = (ctx: ServiceContext): UpdateState | undefined => (ctx.plan.service ?? ctx.service).UpdateStatus?.State;

export function startUpdate(ctx: ServiceContext): void {
  ctx.plan.editService(ctx.service, (s) => {
    s.UpdateStatus = { State: 'updating', StartedAt: isoTime(ctx.plan.now), Message: 'update in progress' };
  });
}

export function completeUpdate(ctx: ServiceContext): void {
  const rollback = updateState(ctx) === 'rollback_started';
  ctx.plan.editService(ctx.service, (s) => {
    s.UpdateStatus = {
      ...s.UpdateStatus,
      State: rollback ? 'rollback_completed' : 'completed',
      CompletedAt: isoTime(ctx.plan.now),
      Message: rollback ? 'rollback completed' : 'update completed',
    };
  });
}

export function pauseUpdate(ctx: ServiceContext, message: string): void {
  const rollback = updateState(ctx) === 'rollback_started';
  ctx.plan.editService(ctx.service, (s) => {
    s.UpdateStatus = { ...s.UpdateStatus, State: rollback ? 'rollback_paused' : 'paused', Message: message };
  });
}

/**
 * Goes back to the previous spec after a failed update, as swarmkit does: the spec becomes the
 * previous one (which is then forgotten), the spec version moves on, and the rollout that
 * follows uses the RollbackConfig.
 */
export function rollBack(ctx: ServiceContext, previous: ServiceObject['Spec'], message: string): void {
  ctx.plan.editService(ctx.service, (s) => {
    s.Spec = structuredClone(previous);
    delete s.PreviousSpec;
    s.SpecVersion = { Index: ctx.plan.nextIndex };
    s.UpdateStatus = { ...s.UpdateStatus, State: 'rollback_started', Message: message };
  });
}
