import { errorMessage } from '../../../util/errors.js';
import type { Logger } from '../../../util/logger.js';
import type { DataPlanePlan } from '../plan.js';
import type { EntryChange } from '../plan-changes.js';
import { setSysctls } from '../sysctl.js';
import type { PlanBackend } from '../types.js';
import { clearRemovedFlows } from './conntrack.js';
import { openNftRunner, type NftRunner, type NftVia } from './nft-runner.js';
import { nftDelete, nftReplace, nftUpdate, probeRuleset, type NftState } from './ruleset.js';
import { readKernelCounters, readOpenConnections } from './counters.js';
import { NftStats, nftTrace } from './entry-stats.js';
import type { EntryStats, TraceAnswer, TraceTarget } from '../types.js';

/** Forwarding for DNATed traffic; route_localnet so the output hook may DNAT 127.0.0.1:port to a task (dataplane-lab §4). */
export const NFTABLES_SYSCTLS = { 'net.ipv4.ip_forward': 1, 'net.ipv4.conf.all.route_localnet': 1 };

/**
 * The kernel data plane: Shoal's nftables table, changed by one transaction per plan. The first
 * plan replaces whatever table a previous run left; later ones touch only what differs.
 */
export class NftablesBackend implements PlanBackend {
  readonly kind = 'nftables';
  private state: NftState | undefined;
  private readonly counted = new NftStats();

  private constructor(
    private readonly runner: NftRunner,
    private readonly log: Logger,
  ) {}

  static async open(log: Logger, via?: NftVia): Promise<NftablesBackend> {
    await setSysctls(NFTABLES_SYSCTLS, log);
    const runner = openNftRunner(log, via);
    log.info({ via: runner.via }, 'nftables data plane ready');
    return new NftablesBackend(runner, log);
  }

  async apply(plan: DataPlanePlan, changes: readonly EntryChange[]): Promise<void> {
    if (this.state) {
      const tx = nftUpdate(this.state, plan);
      try {
        if (tx.commands) await this.runner.run(tx.commands);
        this.state = tx.next;
      } catch (err) {
        // The table is not what we last made (someone flushed it?): rebuild it whole, still in one transaction.
        this.log.warn({ err: errorMessage(err), version: plan.version }, 'incremental nftables update refused; replacing the table');
        this.state = undefined;
      }
    }
    if (!this.state) {
      const tx = nftReplace(plan);
      await this.runner.run(tx.commands);
      this.state = tx.next;
    }
    const t0 = performance.now();
    await clearRemovedFlows(changes, new Set(plan.draining), this.log);
    this.log.debug({ version: plan.version, conntrackMs: Math.round(performance.now() - t0) }, 'flows of removed backends cleared');
  }

  async stats(plan: DataPlanePlan): Promise<EntryStats[]> {
    if (!this.state) return [];
    const [kernel, open] = await Promise.all([readKernelCounters(), readOpenConnections()]);
    return this.counted.collect(plan, this.state, kernel, open);
  }

  async trace(plan: DataPlanePlan, target: TraceTarget): Promise<TraceAnswer | undefined> {
    if (!this.state) return undefined;
    return nftTrace(plan, this.state, await readKernelCounters(), target);
  }

  async close(): Promise<void> {
    await this.runner.run(nftDelete()).catch((err: unknown) => this.log.warn({ err: errorMessage(err) }, 'removing the nftables table failed'));
    this.runner.close();
    this.state = undefined;
  }
}

/** Whether this kernel and nft take Shoal's ruleset (checked by the kernel, then aborted: nothing is left). */
export async function probeNftables(log: Logger, via?: NftVia): Promise<{ ok: true } | { ok: false; why: string }> {
  let runner: NftRunner | undefined;
  try {
    runner = openNftRunner(log, via);
    await runner.run(probeRuleset(), { dryRun: true });
    return { ok: true };
  } catch (err) {
    return { ok: false, why: errorMessage(err) };
  } finally {
    runner?.close();
  }
}
