import { mutable, type StoreEvent, type WriteTx } from '../cluster/store/index.js';
import type { ServiceObject, TaskObject } from '../cluster/types.js';
import { taskLogFields } from '../cluster/log-fields.js';
import { ManagerLoop, type LoopOptions } from './loop.js';
import { hostPortsOf, NodeInfo } from './node-info.js';
import { groupTasks, placerFor } from './task-group.js';
import { isOnNode, isoTime, isRunDesired } from './task-states.js';

/**
 * Moves pending tasks to `assigned` on a node: filters (ready, resources, constraints,
 * platform, host ports, max replicas per node), then spreading. All pending tasks seen
 * together are placed in one pass and one store transaction, each placement counting for
 * the next. A task no node can take stays pending with Docker's `no suitable node (...)`
 * error and is tried again when nodes, services or tasks change in a way that may make room.
 */
export class Scheduler extends ManagerLoop {
  /** Pending tasks to look at in the next pass. */
  private readonly candidates = new Set<string>();
  /** Pending tasks no node could take the last time they were tried. */
  private readonly waiting = new Set<string>();
  private scanAll = false;

  constructor(opts: LoopOptions) {
    super(opts, opts.log.child({ component: 'scheduler' }));
  }

  protected reconcileEverything(): void {
    this.scanAll = true;
  }

  protected onEvents(events: StoreEvent[]): void {
    let retry = false;
    for (const e of events) {
      if (e.table === 'nodes' || e.table === 'services') {
        retry = true;
      } else if (e.table === 'tasks') {
        const task = e.object as TaskObject;
        const old = e.old as TaskObject | undefined;
        if (e.action !== 'remove' && task.Status.State === 'pending' && (old?.Status.State !== 'pending' || old.DesiredState !== task.DesiredState)) {
          this.candidates.add(task.ID);
        } else if (old && isOnNode(old) && (e.action === 'remove' || !isOnNode(task) || old.DesiredState !== task.DesiredState)) {
          retry = true; // a task left its node or stopped counting there: room may have been made
        }
      }
    }
    if (retry) for (const id of this.waiting) this.candidates.add(id);
    if (this.candidates.size > 0) this.loop.kick();
  }

  protected async pass(): Promise<void> {
    const all = this.scanAll;
    const ids = [...this.candidates];
    this.scanAll = false;
    this.candidates.clear();
    if (all) this.waiting.clear();
    else for (const id of ids) this.waiting.delete(id);
    if (!all && ids.length === 0) return;
    await this.opts.store.update((tx) => {
      const pending = all ? tx.list('tasks').filter((t) => t.Status.State === 'pending') : ids.map((id) => tx.get('tasks', id));
      this.schedule(tx, pending.filter((t): t is TaskObject => t?.Status.State === 'pending'));
    });
  }

  private schedule(tx: WriteTx, pending: TaskObject[]): void {
    if (pending.length === 0) return;
    const now = isoTime(this.opts.clock.now());
    const services = new Map<string, ServiceObject | undefined>();
    const service = (id: string): ServiceObject | undefined => {
      if (!services.has(id)) services.set(id, tx.get('services', id));
      return services.get(id);
    };
    // Read everything before the first write: a lookup by index after a write scans the table.
    const nodes = new Map<string, NodeInfo>();
    for (const node of tx.list('nodes')) {
      const info = new NodeInfo(node);
      for (const t of tx.find('tasks', 'node', node.ID)) if (isOnNode(t)) info.add(t, hostPortsOf(service(t.ServiceID)));
      nodes.set(node.ID, info);
    }
    pending.sort((a, b) => (a.ServiceID === b.ServiceID ? (a.Slot ?? 0) - (b.Slot ?? 0) : a.ServiceID < b.ServiceID ? -1 : 1));

    let assigned = 0;
    const runnable: TaskObject[] = [];
    for (const task of pending) {
      if (isRunDesired(task.DesiredState)) runnable.push(task);
      else this.stopUnplaced(tx, task, now);
    }
    for (const group of groupTasks(runnable)) {
      const ports = hostPortsOf(service(group[0].ServiceID));
      const placer = placerFor(group[0], ports, nodes);
      for (const task of group) {
        const chosen = placer.next();
        if (!chosen) {
          this.leavePending(tx, task, placer.explain());
          continue;
        }
        chosen.add(this.assign(tx, task, chosen, now), ports);
        placer.took();
        assigned++;
      }
    }
    if (assigned > 0) this.log.info({ assigned, pending: pending.length - assigned }, 'tasks assigned to nodes');
  }

  private assign(tx: WriteTx, task: TaskObject, info: NodeInfo, now: string): TaskObject {
    const message = task.NodeID ? 'scheduler confirmed task can run on preassigned node' : 'scheduler assigned task to node';
    const { Err: _cleared, ...status } = task.Status;
    this.log.debug({ task: task.ID, service: task.ServiceID, slot: task.Slot, node: info.node.ID, hostname: info.node.Description?.Hostname }, message);
    // The store copies what it is given: a shallow copy is enough.
    return tx.update('tasks', { ...task, NodeID: info.node.ID, Status: { ...status, State: 'assigned', Message: message, Timestamp: now } });
  }

  /** A task told to stop before it reached a node: no agent will ever report on it. */
  private stopUnplaced(tx: WriteTx, task: TaskObject, now: string): void {
    const { Err: _cleared, ...status } = task.Status;
    tx.update('tasks', { ...task, Status: { ...status, State: 'shutdown', Timestamp: now } });
  }

  private leavePending(tx: WriteTx, task: TaskObject, explanation: string): void {
    this.waiting.add(task.ID);
    const err = explanation ? `no suitable node (${explanation})` : 'no suitable node';
    if (task.Status.Err === err) return;
    const copy = mutable(task);
    copy.Status = { ...copy.Status, Err: err };
    tx.update('tasks', copy);
    this.log.info({ ...taskLogFields(task), err }, 'task left pending');
  }
}
