import type { StoreEvent, WriteTx } from '../../cluster/store/index.js';
import type { NodeObject, TaskObject } from '../../cluster/types.js';
import { ManagerLoop, WakeTimers, type LoopOptions } from '../loop.js';
import { sameValue } from './dirty.js';
import { reconcileGlobal } from './global.js';
import { reconcileGlobalJob, reconcileReplicatedJob } from './jobs.js';
import { ServicePlan, type ServiceContext } from './plan.js';
import { reconcileReplicated } from './replicated.js';
import { RestartHistory } from './restart.js';
import { Updates } from './updater.js';

/** A node change that can matter to placement: availability, state, labels, role, platform, address. */
function nodeChanged(e: StoreEvent): boolean {
  if (e.action !== 'update') return true;
  const [a, b] = [e.old as NodeObject, e.object as NodeObject];
  return a.Status.State !== b.Status.State || a.Status.Addr !== b.Status.Addr || !sameValue(a.Spec, b.Spec) || !sameValue(a.Description, b.Description);
}

/**
 * The replicated, global and job orchestrators: for each service touched by a change (its spec, its
 * tasks, any node), one plan — restarts, scaling, rolling update — read and written in a
 * single store transaction per pass, so two passes can never both fill a slot. Removed
 * services have their tasks' desired state set to `remove`.
 */
export class Orchestrator extends ManagerLoop {
  private readonly timers: WakeTimers<string>;
  private readonly restarts = new RestartHistory();
  private readonly updates = new Updates();
  private dirty = new Set<string>();
  private allServices = false;
  /** Also look for tasks whose service is gone (at start, after a restart of the manager). */
  private orphans = false;

  constructor(opts: LoopOptions) {
    super(opts, opts.log.child({ component: 'orchestrator' }));
    this.timers = new WakeTimers(opts.clock, (serviceId) => {
      this.dirty.add(serviceId);
      this.loop.kick();
    });
  }

  protected reconcileEverything(): void {
    this.allServices = this.orphans = true;
  }

  override async stop(): Promise<void> {
    this.timers.clear();
    await super.stop();
  }

  protected onEvents(events: StoreEvent[]): void {
    for (const e of events) {
      if (e.table === 'services') this.dirty.add(e.object.ID);
      else if (e.table === 'tasks') this.dirty.add((e.object as TaskObject).ServiceID);
      else if (e.table === 'nodes' && nodeChanged(e)) this.allServices = true;
    }
    if (this.allServices || this.dirty.size > 0) this.loop.kick();
  }

  protected async pass(): Promise<void> {
    const ids = this.dirty;
    const [allServices, orphans] = [this.allServices, this.orphans];
    this.dirty = new Set();
    this.allServices = this.orphans = false;
    await this.opts.store.update((tx) => {
      if (allServices) for (const s of tx.list('services')) ids.add(s.ID);
      if (orphans) for (const t of tx.list('tasks')) if (!tx.get('services', t.ServiceID)) ids.add(t.ServiceID);
      this.reconcile(tx, ids);
    });
  }

  private reconcile(tx: WriteTx, serviceIds: Set<string>): void {
    const now = this.opts.clock.now();
    const nodes = new Map(tx.list('nodes').map((n) => [n.ID, n]));
    // Read everything first: a lookup by index after a write scans the whole table.
    const work = [...serviceIds].map((id) => ({ id, service: tx.get('services', id), tasks: tx.find('tasks', 'service', id) }));
    for (const { id, service, tasks } of work) {
      const plan = new ServicePlan(now, tx.index + 1);
      try {
        if (service) this.reconcileService({ service, nodes, plan, restarts: this.restarts, log: this.log.child({ service: service.Spec.Name, serviceId: id }) }, tasks);
        else this.removeServiceTasks(id, tasks, plan);
      } catch (err) {
        this.log.error({ err, serviceId: id }, 'reconciling service failed; will retry on the next change');
        continue;
      }
      plan.apply(tx);
      if (plan.created.length > 0) this.log.info({ service: service?.Spec.Name, serviceId: id, tasks: plan.created.length }, 'tasks created');
      if (plan.wakeAt < Infinity) this.timers.wakeAt(id, plan.wakeAt);
    }
  }

  private reconcileService(ctx: ServiceContext, tasks: readonly TaskObject[]): void {
    const mode = ctx.service.Spec.Mode;
    if (mode.ReplicatedJob) reconcileReplicatedJob(ctx, tasks);
    else if (mode.GlobalJob) reconcileGlobalJob(ctx, tasks);
    else if (mode.Global) reconcileGlobal(ctx, tasks, this.updates);
    else reconcileReplicated(ctx, tasks, this.updates);
  }

  private removeServiceTasks(serviceId: string, tasks: readonly TaskObject[], plan: ServicePlan): void {
    this.restarts.forgetService(serviceId);
    this.updates.forget(serviceId);
    let removed = 0;
    for (const t of tasks) if (plan.setDesired(t, 'remove')) removed++;
    if (removed > 0) this.log.info({ serviceId, tasks: removed }, 'service removed; removing its tasks');
  }
}
