import type { Context } from '../../command.js';
import { ProgressDisplay, type ProgressUpdate } from '../../format/progress-display.js';
import { ShoalError } from '../../../../util/errors.js';
import type { Doc } from './resolve.js';

/** Task states in lifecycle order; 0 for anything unknown (such tasks are ignored). */
const STATES = ['new', 'allocated', 'pending', 'assigned', 'accepted', 'preparing', 'ready', 'starting', 'running', 'complete', 'shutdown', 'failed', 'rejected', 'remove', 'orphaned'];
const rank = (s: string | undefined): number => STATES.indexOf(s ?? '') + 1;
const RUNNING = rank('running');
const terminal = (s: string | undefined): boolean => rank(s) > RUNNING;
const MAX_BARS = 20;
const LONGEST_STATE = Math.max(...STATES.slice(0, RUNNING).map((s) => s.length));

function truncError(err: string): string {
  const one = err.replaceAll('\n', ' ');
  return one.length > 75 ? one.slice(0, 74) + '…' : one;
}

/** One task per key (slot, or node for global services): the lowest desired state wins, then the lowest observed state. */
function pickTasks(tasks: Doc[], key: (t: Doc) => string, activeNodes: Set<string>, checkNode: boolean): Map<string, Doc> {
  const picked = new Map<string, Doc>();
  for (const t of tasks) {
    if (rank(t.DesiredState) === 0 || rank(t.Status?.State) === 0) continue;
    const existing = picked.get(key(t));
    if (existing) {
      if (rank(existing.DesiredState) < rank(t.DesiredState)) continue;
      if (rank(existing.DesiredState) === rank(t.DesiredState) && rank(existing.Status.State) <= rank(t.Status.State)) continue;
    }
    if (checkNode && t.NodeID && !activeNodes.has(t.NodeID)) continue;
    picked.set(key(t), t);
  }
  return picked;
}

/** Tracks per-task lines and the overall count, as docker's replicated and global progress updaters do. */
class Updater {
  private initialized = false;
  private done = false;
  private readonly slotMap = new Map<string, number>();

  constructor(private readonly write: (u: ProgressUpdate) => void) {}

  private overall(n: number, total: number, rollback: boolean): void {
    this.write({ id: 'overall progress', action: rollback ? `rolling back update: ${n} out of ${total} tasks` : `${n} out of ${total} tasks` });
  }

  private task(t: Doc, id: string): void {
    if (t.Status?.Err) this.write({ id, action: truncError(t.Status.Err) });
    else if (!terminal(t.Status?.State)) this.write({ id, action: String(t.Status.State).padEnd(LONGEST_STATE), current: rank(t.Status.State), total: RUNNING });
  }

  update(service: Doc, tasks: Doc[], activeNodes: Set<string>, rollback: boolean): boolean {
    const global = !!service.Spec.Mode?.Global;
    const byKey = global ? pickTasks(tasks, (t) => t.NodeID, activeNodes, false) : pickTasks(tasks, (t) => String(t.Slot), activeNodes, true);
    const total = global ? byKey.size : Number(service.Spec.Mode?.Replicated?.Replicas ?? 1);
    if (!this.initialized) {
      if (global && total === 0) {
        this.write({ id: 'overall progress', action: 'waiting for new tasks' });
        return false;
      }
      this.overall(0, total, rollback);
      if (!global && total <= MAX_BARS) for (let i = 1; i <= total; i++) this.write({ id: `${i}/${total}`, action: ' ' });
      this.initialized = true;
    }
    if (this.done && [...byKey.values()].some((t) => t.Status.State !== 'running')) this.done = false;
    let running = 0;
    const keys = [...byKey.keys()].sort((a, b) => (global ? (a < b ? -1 : 1) : Number(a) - Number(b)));
    for (const k of keys) {
      const t = byKey.get(k)!;
      if (global && !activeNodes.has(t.NodeID)) continue;
      if (!terminal(t.DesiredState) && t.Status.State === 'running') running++;
      if (this.done || total > MAX_BARS) continue;
      if (global) this.task(t, String(t.NodeID).slice(0, 12));
      else {
        if (!this.slotMap.has(k)) this.slotMap.set(k, this.slotMap.size + 1);
        const slot = this.slotMap.get(k)!;
        if (slot <= total) this.task(t, `${slot}/${total}`);
      }
    }
    if (!this.done) {
      this.overall(running, total, rollback);
      if (running === total) this.done = true;
    }
    return running === total;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Waits for a service to converge, showing the docker CLI's progress (per-task lines, the overall count,
 * "verify: Waiting N seconds...", "verify: Service X converged"); `shownAs` is the name or ID in that line.
 */
export async function waitForService(ctx: Context, serviceId: string, shownAs: string, pollMs = 200): Promise<void> {
  const tty = !!ctx.out.isTTY;
  const display = new ProgressDisplay(ctx.out, tty, ctx.out.columns ?? 200);
  const write = (u: ProgressUpdate) => display.write(u);
  const updater = new Updater(write);
  let convergedAt: number | undefined;
  let rollback = false;
  let message: ProgressUpdate | undefined;
  for (;;) {
    const service = await ctx.client.get<Doc>(`/services/${serviceId}`, { insertDefaults: false });
    if (service.Spec.Mode?.ReplicatedJob || service.Spec.Mode?.GlobalJob) return; // jobs are not waited on
    const monitor = (service.Spec.UpdateConfig?.Monitor || 5e9) / 1e6;
    const us = service.UpdateStatus;
    switch (us?.State) {
      case 'updating':
        rollback = false;
        break;
      case 'completed':
        if (convergedAt === undefined) return;
        break;
      case 'paused':
        throw new ShoalError('failed_precondition', `service update paused: ${us.Message}`);
      case 'rollback_started':
        if (!rollback && us.Message) write({ id: 'rollback', action: us.Message });
        rollback = true;
        break;
      case 'rollback_paused':
        throw new ShoalError('failed_precondition', `service rollback paused: ${us.Message}`);
      case 'rollback_completed':
        if (convergedAt === undefined) message = { id: 'rollback', action: us.Message, message: true };
        rollback = true;
        break;
    }
    if (convergedAt !== undefined && Date.now() - convergedAt >= monitor) {
      write({ id: 'verify', action: `Service ${shownAs} converged` });
      if (message) write(message);
      return;
    }
    // `_up-to-date`: only tasks of the current spec (the docker CLI's internal filter)
    const tasks = await ctx.client.get<Doc[]>('/tasks', { filters: JSON.stringify({ '_up-to-date': { true: true }, service: { [serviceId]: true } }) });
    const nodes = await ctx.client.get<Doc[]>('/nodes');
    const active = new Set(nodes.filter((n) => n.Status?.State !== 'down').map((n) => n.ID as string));
    if (updater.update(service, tasks, active, rollback)) {
      convergedAt ??= Date.now();
      const wait = monitor - (Date.now() - convergedAt);
      if (wait >= 0) write({ id: 'verify', action: `Waiting ${Math.trunc(wait / 1000) + 1} seconds to verify that tasks are stable...` });
    } else {
      if (convergedAt !== undefined) write({ id: 'verify', action: 'Detected task failure' });
      convergedAt = undefined;
    }
    await sleep(pollMs);
  }
}
