import type { Backend, DataPlanePlan } from '../plan.js';
import type { EntryStats, TraceAnswer, TraceTarget } from '../types.js';
import type { KernelCounters, OpenConnections } from './counters.js';
import { entryCounters, portChain, vipChain, type NftState } from './ruleset.js';

/** The plan's entries by chain: service, entry name and backends (for task IDs). */
function entries(plan: DataPlanePlan): Map<string, { service: string; entry: string; backends: Backend[] }> {
  const out = new Map<string, { service: string; entry: string; backends: Backend[] }>();
  for (const p of plan.ports) out.set(portChain(p), { service: p.service, entry: `${p.protocol}/${p.port}`, backends: p.backends });
  for (const v of plan.vips) out.set(vipChain(v.vip), { service: v.service, entry: `vip/${v.vip}`, backends: v.backends });
  return out;
}

/**
 * Turns the kernel's counters into entry statistics. Per-backend counts live on slot map elements,
 * which start again at 0 when a slot is refilled: totals are kept here from the increases seen.
 */
export class NftStats {
  private readonly lastSeen = new Map<string, number>();
  private readonly totals = new Map<string, number>();

  collect(plan: DataPlanePlan, state: NftState, k: KernelCounters, open: OpenConnections): EntryStats[] {
    const out: EntryStats[] = [];
    for (const [chain, info] of entries(plan)) {
      const e = state.get(chain);
      if (!e) continue;
      const c = entryCounters(chain);
      const opened = open.get(e.mark) ?? new Map<string, number>();
      const taskOf = new Map(info.backends.map((b) => [b.address, b.taskId]));
      for (const s of k.slots.get(chain) ?? []) this.account(chain, s.slot, s.address, s.packets);
      out.push({
        service: info.service,
        entry: info.entry,
        connections: k.named.get(c.conn)?.packets ?? 0,
        active: [...opened.values()].reduce((a, b) => a + b, 0),
        failed: k.named.get(c.refused)?.packets ?? 0,
        retries: 0,
        bytesIn: k.named.get(c.tx)?.bytes ?? 0,
        bytesOut: k.named.get(c.rx)?.bytes ?? 0,
        backends: [...new Set(e.slots)].map((address) => ({
          address,
          taskId: taskOf.get(address) ?? '',
          connections: this.totals.get(`${chain}/${address}`) ?? 0,
          active: opened.get(address) ?? 0,
        })),
      });
    }
    return out;
  }

  private account(chain: string, slot: number, address: string, packets: number): void {
    const key = `${chain}/${slot}/${address}`;
    const before = this.lastSeen.get(key);
    const increase = before !== undefined && packets >= before ? packets - before : packets;
    this.lastSeen.set(key, packets);
    const total = `${chain}/${address}`;
    this.totals.set(total, (this.totals.get(total) ?? 0) + increase);
  }
}

/** The next connection to `target`: `numgen inc mod n` gives slot (connections balanced by this rule) mod n. */
export function nftTrace(plan: DataPlanePlan, state: NftState, k: KernelCounters, target: TraceTarget): TraceAnswer | undefined {
  const chain = target.vip ? vipChain(target.vip) : portChain(target);
  const info = entries(plan).get(chain);
  const e = state.get(chain);
  if (!info || !e) return undefined;
  const rule = `table ip shoal chain ${chain}: ${e.rule || '(empty: no backend, the connection is refused)'}`;
  const slots = k.slots.get(chain) ?? [];
  if (!e.rule || slots.length === 0) return { entry: info.entry, rule, why: 'the service has no task taking connections' };
  const balanced = k.rule.get(chain) ?? 0;
  const slot = balanced % slots.length;
  const address = slots.find((s) => s.slot === slot)?.address ?? '';
  const taskId = info.backends.find((b) => b.address === address)?.taskId ?? '';
  return {
    entry: info.entry,
    rule,
    backend: { address, taskId },
    why: `numgen inc mod ${slots.length} has balanced ${balanced} connections since this rule was made, so the next takes slot ${balanced} mod ${slots.length} = ${slot}`,
  };
}
