import type { EndpointTable } from '../../cluster/endpoints/types.js';
import { forwardEntry, reverseEntry, type NameClass, type NameEntry } from './entry.js';
import { inSubnet, ipv4ToInt, parseSubnet, reverseNameToInt, stripPrefix, type Ipv4Subnet } from './ipv4.js';
import { networkNames, type DnsTtls, type NetworkNames } from './network-names.js';
import { RecordSet } from './record-set.js';
import { WireNames } from './wire-names.js';

/**
 * The names one asker sees: those of every network it is on, answers merged; keyed by lowercased
 * name in presentation form, and again in wire form for answering straight from a query's bytes.
 */
export interface View {
  readonly byName: ReadonlyMap<string, NameEntry>;
  readonly byWire: WireNames;
}

interface SubnetView {
  networkId: string;
  subnet: Ipv4Subnet;
  view: View;
}

/**
 * All names of one endpoint table, ready to answer from: a view per set of networks that some
 * asker is on, which asker (by source address) sees which view, and every name that exists on
 * some network (so a name outside the asker's view is NXDOMAIN, not forwarded). Built whole on
 * apply and swapped in; never changed afterwards except for the round-robin turn of record sets.
 */
export class NameIndex {
  static readonly EMPTY = new NameIndex(-1, new Map(), new Map(), [], new Map());

  private constructor(
    readonly version: number,
    private readonly viewBySource: ReadonlyMap<string, View>,
    /** The same, keyed by IPv4 address as a signed 32-bit number (see viewForIpv4). */
    private readonly viewByIpv4: ReadonlyMap<number, View>,
    private readonly subnets: readonly SubnetView[],
    private readonly internal: ReadonlyMap<string, NameClass>,
  ) {}

  static build(table: EndpointTable, ttls: DnsTtls): NameIndex {
    const perNetwork = new Map(networkNames(table, ttls).map((n) => [n.network.networkId, n]));
    const views = new Map<string, View>();
    const viewOf = (ids: string[]): View => {
      const key = [...ids].sort().join(',');
      let view = views.get(key);
      if (!view) views.set(key, (view = mergeView(ids.map((id) => perNetwork.get(id)!))));
      return view;
    };

    const viewBySource = new Map<string, View>();
    const ambiguous = new Set<string>();
    for (const task of table.tasks) {
      const ids = Object.keys(task.addresses).filter((id) => perNetwork.has(id));
      if (ids.length === 0) continue;
      const view = viewOf(ids);
      for (const id of ids) {
        const addr = stripPrefix(task.addresses[id]!);
        if (viewBySource.has(addr)) ambiguous.add(addr);
        viewBySource.set(addr, view);
      }
    }
    // Two tasks claiming one address (never, with one IPAM): trust neither rather than mix networks.
    for (const addr of ambiguous) viewBySource.delete(addr);
    const viewByIpv4 = new Map<number, View>();
    for (const [addr, view] of viewBySource) {
      const ip = ipv4ToInt(addr);
      if (ip >= 0) viewByIpv4.set(ip | 0, view);
    }

    const subnets: SubnetView[] = [];
    const internal = new Map<string, NameClass>();
    for (const names of perNetwork.values()) {
      const subnet = parseSubnet(names.network.subnet);
      if (subnet) subnets.push({ networkId: names.network.networkId, subnet, view: viewOf([names.network.networkId]) });
      for (const [key, draft] of names.forward) if (!internal.has(key)) internal.set(key, draft.nameClass);
    }
    return new NameIndex(table.version, viewBySource, viewByIpv4, subnets, internal);
  }

  /**
   * What an asker sees: a task of the table sees all its networks; an address inside a network's
   * subnet (a task not serving yet, so not in the table) sees that network; anyone else nothing.
   */
  viewFor(source: string): View | undefined {
    const ip = ipv4ToInt(source);
    return ip < 0 ? this.viewBySource.get(source) : this.viewForIpv4(ip | 0);
  }

  /** viewFor() of an IPv4 address given as a signed 32-bit number (`(a << 24) | (b << 16) | (c << 8) | d`); allocates nothing. */
  viewForIpv4(ip: number): View | undefined {
    const view = this.viewByIpv4.get(ip);
    if (view) return view;
    const unsigned = ip >>> 0;
    for (let i = 0; i < this.subnets.length; i++) if (inSubnet(unsigned, this.subnets[i]!.subnet)) return this.subnets[i]!.view;
    return undefined;
  }

  /** The A records of `name` on each network that has it (as an asker on that network would get them). */
  addressesOf(name: string): { networkId: string; addresses: string[] }[] {
    const key = name.toLowerCase();
    return this.subnets.flatMap((s) => {
      const entry = s.view.byName.get(key);
      return entry ? [{ networkId: s.networkId, addresses: entry.a.addresses() }] : [];
    });
  }

  /** The class of a name that exists on some network, or of a reverse name inside some network's subnet. */
  internalClass(key: string): NameClass | undefined {
    const nameClass = this.internal.get(key);
    if (nameClass) return nameClass;
    const ip = reverseNameToInt(key);
    return ip >= 0 && this.subnets.some((s) => inSubnet(ip, s.subnet)) ? 'ptr' : undefined;
  }
}

/** The names of several networks as one view; a name on several of them answers all their addresses. */
function mergeView(networks: NetworkNames[]): View {
  const forward = new Map<string, { nameClass: NameClass; addresses: string[]; ttl: number }>();
  for (const n of networks) {
    for (const [key, draft] of n.forward) {
      const seen = forward.get(key);
      if (!seen) forward.set(key, { ...draft, addresses: [...draft.addresses] });
      else {
        for (const a of draft.addresses) if (!seen.addresses.includes(a)) seen.addresses.push(a);
        seen.ttl = Math.min(seen.ttl, draft.ttl);
      }
    }
  }
  const byName = new Map<string, NameEntry>();
  for (const [key, d] of forward) byName.set(key, forwardEntry(d.nameClass, RecordSet.addresses(d.addresses, d.ttl)));
  for (const n of networks) {
    for (const [key, ptr] of n.reverse) if (!byName.has(key)) byName.set(key, reverseEntry(RecordSet.pointer(ptr.target, ptr.ttl)));
  }
  return { byName, byWire: WireNames.of(byName) };
}
