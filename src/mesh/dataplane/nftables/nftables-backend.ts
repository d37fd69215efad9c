import { errorMessage } from '../../../util/errors.js';
import type { Logger } from '../../../util/logger.js';
import type { DataPlanePlan } from '../plan.js';
import type { EntryChange } from '../plan-changes.js';
import { setSysctls } from '../sysctl.js';
import type { PlanBackend } from '../types.js';
import { deleteFlows, deleteTcpFlows, removedFlowDeletions, type TcpDeletion } from './conntrack.js';
import { openNftRunner, type NftRunner, type NftVia } from './nft-runner.js';
import { nftDelete, nftReplace, nftUpdate, portChain, probeRuleset, vipChain, type NftState } from './ruleset.js';
import { readKernelCounters, readOpenConnections } from './counters.js';
import { NftStats, nftTrace } from './entry-stats.js';
import type { EntryStats, TraceAnswer, TraceTarget } from '../types.js';

/** Forwarding for DNATed traffic; route_localnet so the output hook may DNAT 127.0.0.1:port to a task (dataplane-lab §4). */
export const NFTABLES_SYSCTLS = { 'net.ipv4.ip_forward': 1, 'net.ipv4.conf.all.route_localnet': 1 };

/**
 * How long after a table the TCP flows of its gone backends are cleared, together with those of every
 * table applied meanwhile, by one read of the TCP flows and one `conntrack` process: a process per
 * table (one per scale step or replaced task) cost CPU the next tables' applies were waiting for. Well before a client's first SYN
 * retransmit (1 s), which these deletions are for.
 */
const TCP_CLEAR_DELAY_MS = 200;

/**
 * The kernel data plane: Shoal's nftables table, changed by one transaction per plan. The first
 * plan replaces whatever table a previous run left; later ones touch only what differs.
 */
export class NftablesBackend implements PlanBackend {
  readonly kind = 'nftables';
  private state: NftState | undefined;
  private readonly counted = new NftStats();
  /** The conntrack clean-ups of the tables applied so far, in order (they never fail). */
  private clearing = Promise.resolve();
  /** TCP deletions waiting for the next clean-up (TCP_CLEAR_DELAY_MS), and its timer. */
  private tcpPending: TcpDeletion[] = [];
  private tcpTimer: NodeJS.Timeout | undefined;

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
    // Flows to removed backends were marked by the table they were balanced by.
    const before = this.state;
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
    const markOf = (c: EntryChange) => before?.get(c.vip ? vipChain(c.vip) : portChain({ protocol: c.protocols[0]!, port: c.port! }))?.mark;
    const { udp, tcp } = removedFlowDeletions(changes, new Set(plan.draining), markOf);
    // A UDP flow's next datagram must find a backend of this table once it counts as applied.
    await deleteFlows(udp, this.log);
    // The rules are live: the table counts as applied now (the managers wait for that before a
    // draining task stops). TCP flows of gone backends are cleared after, off the apply path and
    // batched (one read of every TCP flow, thousands in TIME_WAIT under a load of short connections,
    // then a command, itself a read, for each deletion that has a flow).
    this.tcpPending.push(...tcp);
    if (this.tcpPending.length > 0) this.tcpTimer ??= setTimeout(() => this.clearTcp(), TCP_CLEAR_DELAY_MS);
  }

  /** Runs the TCP deletions waiting, after the clean-ups before them. */
  private clearTcp(): Promise<void> {
    clearTimeout(this.tcpTimer);
    this.tcpTimer = undefined;
    const commands = this.tcpPending;
    this.tcpPending = [];
    this.clearing = this.clearing.then(() => deleteTcpFlows(commands, this.log));
    return this.clearing;
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
    await this.clearTcp();
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
