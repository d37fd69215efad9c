import type { Backend, DataPlanePlan, L4Protocol } from './plan.js';

/** One entry point of the plan (a published port or a VIP) and what a new plan changes in it. */
export interface EntryChange {
  /** `tcp/8080` for a published port, `vip/10.0.1.5` for a VIP. */
  entry: string;
  service: string;
  /** A published port's protocol; VIPs carry both. */
  protocols: L4Protocol[];
  /** The published port, or the VIP. */
  port?: number;
  vip?: string;
  created: boolean;
  deleted: boolean;
  added: Backend[];
  removed: Backend[];
}

interface Entry {
  entry: string;
  service: string;
  protocols: L4Protocol[];
  port?: number;
  vip?: string;
  backends: Backend[];
}

function entries(plan: DataPlanePlan | undefined): Map<string, Entry> {
  const out = new Map<string, Entry>();
  for (const p of plan?.ports ?? []) out.set(`${p.protocol}/${p.port}`, { entry: `${p.protocol}/${p.port}`, service: p.service, protocols: [p.protocol], port: p.port, backends: p.backends });
  for (const v of plan?.vips ?? []) out.set(`vip/${v.vip}`, { entry: `vip/${v.vip}`, service: v.service, protocols: ['tcp', 'udp'], vip: v.vip, backends: v.backends });
  return out;
}

/** What changed between two plans, entry by entry (for logs, and for clearing UDP flows of removed backends). */
export function planChanges(prev: DataPlanePlan | undefined, next: DataPlanePlan): EntryChange[] {
  const before = entries(prev);
  const after = entries(next);
  const changes: EntryChange[] = [];
  for (const [key, e] of after) {
    const old = before.get(key);
    const oldAddrs = new Set(old?.backends.map((b) => b.address));
    const newAddrs = new Set(e.backends.map((b) => b.address));
    const added = e.backends.filter((b) => !oldAddrs.has(b.address));
    const removed = old?.backends.filter((b) => !newAddrs.has(b.address)) ?? [];
    if (old && added.length === 0 && removed.length === 0) continue;
    const { backends: _b, ...id } = e;
    changes.push({ ...id, created: !old, deleted: false, added, removed });
  }
  for (const [key, e] of before) {
    if (after.has(key)) continue;
    const { backends, ...id } = e;
    changes.push({ ...id, created: false, deleted: true, added: [], removed: backends });
  }
  return changes;
}
