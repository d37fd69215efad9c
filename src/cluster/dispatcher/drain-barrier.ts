import type { Clock } from '../../util/clock.js';
import type { Logger } from '../../util/logger.js';
import type { ReadTx } from '../store/index.js';
import type { NodeObject, TaskObject } from '../types.js';
import { isDraining } from '../endpoints/derive.js';

/** A host that has not confirmed the table by then does not hold a stop back any longer. */
export const DRAIN_DEADLINE_MS = 5000;

interface Held {
  /** The managers' table version that has the task draining: hosts confirm at least this one. */
  version: number;
  since: number;
}

/**
 * Drain as a cluster-wide barrier: a running task told to stop (scale-down, update, drain, removal)
 * first leaves the mesh, VIPs and DNS of every host — it is in the endpoint table as draining —
 * and its host is told to stop it only once every ready host reports a table version that has it
 * draining (or DRAIN_DEADLINE_MS passed). So no host still sends new connections to a task that
 * is already stopping: the requests Swarm drops on every rolling update.
 */
export class DrainBarrier {
  private readonly held = new Map<string, Held>();
  private readonly released = new Set<string>();

  constructor(
    private readonly clock: Clock,
    private readonly log: Logger,
    /** The table version a host last reported applied (the leader's memory of its reports). */
    private readonly applied: (node: NodeObject) => number,
    private readonly deadlineMs = DRAIN_DEADLINE_MS,
  ) {}

  /** Whether this version of `task` may be sent to its host now; `tableVersion` is the table being sent. */
  maySend(tx: ReadTx, task: TaskObject, tableVersion: number): boolean {
    // A task without an address on any network takes no connections: nothing to drain.
    if (!isDraining(task) || !task.NetworksAttachments?.some((a) => a.Addresses.length > 0)) {
      this.forget(task.ID);
      return true;
    }
    if (this.released.has(task.ID)) return true;
    const now = this.clock.now();
    let held = this.held.get(task.ID);
    if (!held) this.held.set(task.ID, (held = { version: tableVersion, since: now }));
    const lagging = tx.list('nodes').filter((n) => n.Status.State === 'ready' && this.applied(n) < held.version);
    const overdue = now - held.since >= this.deadlineMs;
    if (lagging.length > 0 && !overdue) return false;
    this.held.delete(task.ID);
    this.released.add(task.ID);
    const fields = { task: task.ID, service: task.ServiceID, node: task.NodeID, tableVersion: held.version, waitedMs: now - held.since };
    if (lagging.length > 0) this.log.warn({ ...fields, lagging: lagging.map((n) => n.Description.Hostname) }, 'hosts did not confirm the task drained in time; stopping it anyway');
    else this.log.debug(fields, 'every host stopped sending the task new connections: it may stop');
    return true;
  }

  /** Whether a stop is held now (a host's report may release it). */
  get holding(): boolean {
    return this.held.size > 0;
  }

  /** How long until the earliest held task's deadline, if any is held. */
  nextDeadlineMs(): number | undefined {
    let next: number | undefined;
    const now = this.clock.now();
    for (const h of this.held.values()) next = Math.min(next ?? Infinity, Math.max(0, h.since + this.deadlineMs - now));
    return next;
  }

  /** Drops what it knows of tasks no longer in the store. */
  prune(tx: ReadTx): void {
    for (const id of [...this.held.keys(), ...this.released]) if (!tx.get('tasks', id)) this.forget(id);
  }

  private forget(id: string): void {
    this.held.delete(id);
    this.released.delete(id);
  }
}
