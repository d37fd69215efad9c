import { runChecked, type CommandRunner } from './commands.js';
import { DEFAULT_UNDERLAY_MTU, parseDeviceName, VXLAN_OVERHEAD, VXLAN_PORT } from './names.js';
import { noEntries, type DeviceFacts, type ForwardingEntries, type KernelView, type UnderlayEnv } from './types.js';

/** The parts of `ip -j -d addr show` output read here. */
export interface IpLink {
  ifname: string;
  mtu: number;
  address?: string;
  flags?: string[];
  master?: string;
  linkinfo?: { info_kind?: string; info_data?: { id?: number; local?: string; port?: number; learning?: boolean; proxy?: boolean } };
  addr_info?: { family: string; local: string; prefixlen: number; scope?: string }[];
}

/** `bridge -j fdb show` entries. */
export interface FdbEntry {
  mac: string;
  ifname: string;
  dst?: string;
  flags?: string[];
}

/** `ip -j neigh show` entries. */
export interface NeighEntry {
  dst: string;
  dev: string;
  lladdr?: string;
}

/** Shoal's overlay devices and the entries on its VXLAN devices, from the kernel's JSON listings. Pure. */
export function parseKernelView(links: IpLink[], fdb: FdbEntry[], neigh: NeighEntry[]): KernelView {
  const devices = new Map<number, DeviceFacts>();
  const entries = new Map<number, ForwardingEntries>();
  const vxlanVni = new Map<string, number>();
  for (const l of links) {
    const dev = parseDeviceName(l.ifname);
    const kind = l.linkinfo?.info_kind;
    if (!dev || kind !== dev.kind) continue;
    const facts = devices.get(dev.vni) ?? {};
    const up = l.flags?.includes('UP') ?? false;
    if (dev.kind === 'bridge') {
      const addresses = (l.addr_info ?? []).filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`);
      facts.bridge = { mac: (l.address ?? '').toLowerCase(), mtu: l.mtu, up, addresses };
    } else {
      const d = l.linkinfo?.info_data ?? {};
      facts.vxlan = { id: d.id ?? -1, local: d.local ?? '', port: d.port ?? 0, learning: d.learning ?? true, proxy: d.proxy ?? false, mtu: l.mtu, master: l.master, up };
      vxlanVni.set(l.ifname, dev.vni);
      entries.set(dev.vni, noEntries());
    }
    devices.set(dev.vni, facts);
  }
  for (const f of fdb) {
    const vni = vxlanVni.get(f.ifname);
    // Only the device's own entries (`self`) with a destination; the bridge's learned ones are not ours.
    if (vni !== undefined && f.dst && f.flags?.includes('self')) entries.get(vni)!.fdb.set(f.mac.toLowerCase(), f.dst);
  }
  for (const n of neigh) {
    const vni = vxlanVni.get(n.dev);
    if (vni !== undefined && n.lladdr) entries.get(vni)!.neigh.set(n.dst, n.lladdr.toLowerCase());
  }
  return { devices, entries };
}

/** How the overlay uses the underlay: its address, and optionally the MTU and VXLAN port to use. */
export interface UnderlayChoice {
  address: string;
  mtu?: number;
  port?: number;
}

/** Where VXLAN packets leave: the device holding the address, its MTU (1500 assumed if not found) less the overhead. */
export function underlayEnv(links: IpLink[], u: UnderlayChoice): UnderlayEnv {
  const dev = links.find((l) => l.addr_info?.some((a) => a.local === u.address));
  return { address: u.address, device: dev?.ifname, mtu: u.mtu ?? (dev?.mtu ?? DEFAULT_UNDERLAY_MTU) - VXLAN_OVERHEAD, port: u.port ?? VXLAN_PORT };
}

/** Reads Shoal's overlay objects and the underlay from the kernel: three listings, run together. */
export async function readKernel(run: CommandRunner, underlay: UnderlayChoice): Promise<{ view: KernelView; env: UnderlayEnv }> {
  const [links, fdb, neigh] = await Promise.all([
    runChecked(run, 'ip', ['-j', '-d', 'addr', 'show']),
    runChecked(run, 'bridge', ['-j', 'fdb', 'show']),
    runChecked(run, 'ip', ['-j', '-4', 'neigh', 'show']),
  ]);
  const parsedLinks = JSON.parse(links) as IpLink[];
  return { view: parseKernelView(parsedLinks, JSON.parse(fdb) as FdbEntry[], JSON.parse(neigh) as NeighEntry[]), env: underlayEnv(parsedLinks, underlay) };
}
