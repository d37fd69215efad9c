import { exec } from '../../../util/exec.js';
import { TABLE } from './ruleset.js';

/** What the kernel counted in Shoal's table. */
export interface KernelCounters {
  /** Named counters (`<chain>_conn`, `_tx`, `_rx`, `_refused`). */
  named: Map<string, { packets: number; bytes: number }>;
  /** The anonymous counter of each entry chain's rule: how many connections its `numgen inc` balanced. */
  rule: Map<string, number>;
  /** Each entry's slot map (`<chain>_be`): slot, backend address and connections sent to it. */
  slots: Map<string, { slot: number; address: string; packets: number }[]>;
}

type Json = Record<string, unknown>;

/** Parses `nft -j list table ip shoal`. */
export function parseNftJson(text: string): KernelCounters {
  const out: KernelCounters = { named: new Map(), rule: new Map(), slots: new Map() };
  const items = (JSON.parse(text) as { nftables: Json[] }).nftables;
  for (const item of items) {
    const counter = item['counter'] as { name: string; packets: number; bytes: number } | undefined;
    if (counter) out.named.set(counter.name, { packets: counter.packets, bytes: counter.bytes });
    const rule = item['rule'] as { chain: string; expr: Json[] } | undefined;
    const anonymous = rule?.expr.map((e) => e['counter']).find((c): c is { packets: number } => typeof c === 'object' && c !== null && 'packets' in c);
    if (rule && anonymous) out.rule.set(rule.chain, anonymous.packets);
    const map = item['map'] as { name: string; elem?: [Json, string][] } | undefined;
    if (map?.name.endsWith('_be')) {
      const slots = (map.elem ?? []).map(([key, address]) => {
        const elem = (key['elem'] ?? { val: key }) as { val: number; counter?: { packets: number } };
        return { slot: elem.val, address, packets: elem.counter?.packets ?? 0 };
      });
      out.slots.set(map.name.slice(0, -'_be'.length), slots);
    }
  }
  return out;
}

export async function readKernelCounters(): Promise<KernelCounters> {
  const res = await exec('nft', ['-j', 'list', 'table', 'ip', TABLE]);
  return parseNftJson(res.stdout);
}

/** Open connections by conntrack mark, then by backend address (TCP: established only). */
export type OpenConnections = Map<number, Map<string, number>>;

/** Parses `conntrack -L` lines: `tcp 6 431999 ESTABLISHED src=… dst=… sport=… dport=… src=<backend> … mark=3 use=1`. */
export function parseConntrack(text: string): OpenConnections {
  const out: OpenConnections = new Map();
  for (const line of text.split('\n')) {
    const mark = Number(/ mark=(\d+)/.exec(line)?.[1] ?? 0);
    if (!mark) continue;
    if (line.startsWith('tcp') && !/ ESTABLISHED /.test(line)) continue;
    const backend = [...line.matchAll(/ src=(\S+)/g)][1]?.[1];
    if (!backend) continue;
    const byBackend = out.get(mark) ?? new Map<string, number>();
    byBackend.set(backend, (byBackend.get(backend) ?? 0) + 1);
    out.set(mark, byBackend);
  }
  return out;
}

export async function readOpenConnections(): Promise<OpenConnections> {
  // Exit 0 with the list on stdout and a summary on stderr; nothing marked: an empty map.
  const res = await exec('conntrack', ['-L'], { allowFail: true });
  return parseConntrack(res.stdout);
}
