import type { Logger } from '../../../util/logger.js';
import type { DataPlanePlan } from '../plan.js';
import type { EntryChange } from '../plan-changes.js';
import type { EntryStats, PlanBackend, TraceAnswer, TraceTarget } from '../types.js';

/**
 * The nftables data plane with the published TCP ports that send a PROXY protocol header: the
 * kernel cannot add one, so the ruleset leaves them out and a userspace proxy in this process
 * (made with the first such port) listens on them; everything else stays in the kernel.
 */
export class WithProxiedPorts implements PlanBackend {
  readonly kind = 'nftables';
  private proxy?: PlanBackend;
  /** The ports the userspace proxy serves, `tcp/8080`, as last logged. */
  private served = '';

  constructor(
    private readonly kernel: PlanBackend,
    private readonly makeProxy: () => PlanBackend,
    private readonly log: Logger,
  ) {}

  async apply(plan: DataPlanePlan, changes: readonly EntryChange[]): Promise<void> {
    const { kernel, proxied } = splitProxied(plan);
    const byProxy = new Set(proxied.ports.map((p) => `tcp/${p.port}`));
    await this.kernel.apply(kernel, changes.filter((c) => !byProxy.has(c.entry)));
    if (this.proxy || proxied.ports.length > 0) {
      this.proxy ??= this.makeProxy();
      await this.proxy.apply(proxied, changes.filter((c) => byProxy.has(c.entry)));
    }
    const served = proxied.ports.map((p) => `tcp/${p.port} (${p.service}, PROXY protocol ${p.proxyProtocol})`).join(', ');
    if (served !== this.served) {
      this.served = served;
      this.log.info({ ports: proxied.ports.map((p) => `tcp/${p.port}`) }, served ? `published ports served by the userspace proxy, not nftables, to send the PROXY protocol header: ${served}` : 'no published port needs the userspace proxy (PROXY protocol) any more');
    }
  }

  async stats(plan: DataPlanePlan): Promise<EntryStats[]> {
    const { kernel, proxied } = splitProxied(plan);
    return [...(await this.kernel.stats(kernel)), ...((await this.proxy?.stats(proxied)) ?? [])];
  }

  trace(plan: DataPlanePlan, target: TraceTarget): Promise<TraceAnswer | undefined> {
    const { kernel, proxied } = splitProxied(plan);
    const byProxy = !target.vip && target.protocol === 'tcp' && proxied.ports.some((p) => p.port === target.port);
    return byProxy && this.proxy ? this.proxy.trace(proxied, target) : this.kernel.trace(kernel, target);
  }

  async close(): Promise<void> {
    await Promise.all([this.kernel.close(), this.proxy?.close()]);
  }
}

/** The plan's published TCP ports with the PROXY protocol (a plan with no VIPs), and the rest. */
export function splitProxied(plan: DataPlanePlan): { kernel: DataPlanePlan; proxied: DataPlanePlan } {
  const proxied = plan.ports.filter((p) => p.proxyProtocol);
  if (proxied.length === 0) return { kernel: plan, proxied: { version: plan.version, ports: [], vips: [], draining: plan.draining } };
  return { kernel: { ...plan, ports: plan.ports.filter((p) => !p.proxyProtocol) }, proxied: { version: plan.version, ports: proxied, vips: [], draining: plan.draining } };
}
