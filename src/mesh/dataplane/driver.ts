import type { EndpointTable } from '../../cluster/endpoints/types.js';
import type { Logger } from '../../util/logger.js';
import { VipRoutes } from '../vip/local-routes.js';
import { planDataPlane, type DataPlanePlan, type PortRule, type VipRule } from './plan.js';
import { planChanges, type EntryChange } from './plan-changes.js';
import type { DataPlane, EntryStats, PlanBackend, TraceAnswer, TraceTarget } from './types.js';

/** Addresses shown per change in a log line; a 10,000-task scale-up is summarized. */
const LOGGED_BACKENDS = 20;

/**
 * What both backends share: tables applied one at a time and in version order, turned into this
 * host's plan, VIPs made local addresses, and every change logged by service, entry and backend.
 */
export class DataPlaneDriver implements DataPlane {
  private plan: DataPlanePlan | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly routes = new VipRoutes();

  constructor(
    private readonly backend: PlanBackend,
    private readonly nodeId: string,
    private readonly log: Logger,
  ) {}

  get kind() {
    return this.backend.kind;
  }

  get version(): number | undefined {
    return this.plan?.version;
  }

  serviceRules(serviceId: string): { vips: VipRule[]; ports: PortRule[] } {
    return { vips: this.plan?.vips.filter((v) => v.serviceId === serviceId) ?? [], ports: this.plan?.ports.filter((p) => p.serviceId === serviceId) ?? [] };
  }

  apply(table: EndpointTable): Promise<void> {
    const p = this.queue.then(() => this.applyNow(table));
    this.queue = p.catch(() => undefined);
    return p;
  }

  private async applyNow(table: EndpointTable): Promise<void> {
    if (this.plan && table.version <= this.plan.version) {
      this.log.debug({ version: table.version, applied: this.plan.version }, 'endpoint table not newer than the applied one; ignored');
      return;
    }
    const t0 = performance.now();
    const next = planDataPlane(table, this.nodeId);
    const changes = planChanges(this.plan, next);
    const planned = performance.now();
    const vips = next.vips.map((v) => v.vip);
    // A proxy can only listen on a VIP once it is local; old VIPs go once nothing uses them.
    await this.routes.sync(new Set([...vips, ...(this.plan?.vips.map((v) => v.vip) ?? [])]));
    const routed = performance.now();
    await this.backend.apply(next, changes);
    const applied = performance.now();
    this.plan = next;
    await this.routes.sync(vips);
    for (const c of changes) this.logChange(c);
    const ms = (a: number, b: number) => Math.round((b - a) * 10) / 10;
    this.log.info(
      { version: next.version, changes: changes.length, ms: ms(t0, performance.now()), planMs: ms(t0, planned), routesMs: ms(planned, routed), backendMs: ms(routed, applied) },
      'endpoint table applied',
    );
  }

  private logChange(c: EntryChange): void {
    const list = (bs: EntryChange['added']) => bs.slice(0, LOGGED_BACKENDS).map((b) => `${b.address} (${b.taskId})`);
    const what = c.created ? 'mesh entry created' : c.deleted ? 'mesh entry removed' : 'mesh entry backends changed';
    this.log.info(
      { service: c.service, entry: c.entry, added: list(c.added), removed: list(c.removed), addedCount: c.added.length, removedCount: c.removed.length },
      what,
    );
  }

  stats(): Promise<EntryStats[]> {
    return this.plan ? this.backend.stats(this.plan) : Promise.resolve([]);
  }

  trace(target: TraceTarget): Promise<TraceAnswer | undefined> {
    return this.plan ? this.backend.trace(this.plan, target) : Promise.resolve(undefined);
  }

  close(): Promise<void> {
    const p = this.queue.then(async () => {
      await this.backend.close();
      await this.routes.clear();
      this.plan = undefined;
    });
    this.queue = p.catch(() => undefined);
    return p;
  }
}
