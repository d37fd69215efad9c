import { deviceCommands, expectedFacts, removalCommands, vxlanReusable } from './devices.js';
import { vxlanName } from './names.js';
import { noEntries, type DesiredOverlay, type ForwardingEntries, type KernelView, type OverlayNetwork, type UnderlayEnv } from './types.js';

/** One update of the overlay: at most one `ip -batch` and one `bridge -batch` run. */
export interface OverlayPlan {
  /** Device removals and set-ups, then neighbour entries (they need the devices). */
  ip: string[];
  /** Forwarding entries. */
  bridge: string[];
  /** Networks whose devices were created or repaired (they get their sysctls). */
  touched: OverlayNetwork[];
  /** VNIs of networks that leave this host. */
  removed: number[];
  /** What the kernel holds once both batches succeeded. */
  next: KernelView;
}

/**
 * The commands that turn `have` into `want`, changing only what differs. With `keepUnlisted`,
 * devices `want` does not list stay as they are (before the first table, the tasks of a restarted
 * daemon may still be attaching theirs). Pure.
 */
export function planOverlay(have: KernelView, want: DesiredOverlay, env: UnderlayEnv, keepUnlisted = false): OverlayPlan {
  const ip: string[] = [];
  const neigh: string[] = [];
  const bridge: string[] = [];
  const touched: OverlayNetwork[] = [];
  const removed: number[] = [];
  const next: KernelView = { devices: new Map(), entries: new Map() };
  for (const [vni, facts] of have.devices) {
    if (want.networks.has(vni)) continue;
    if (keepUnlisted) {
      next.devices.set(vni, facts);
      next.entries.set(vni, have.entries.get(vni) ?? noEntries());
      continue;
    }
    ip.push(...removalCommands(vni, facts));
    removed.push(vni);
  }
  for (const [vni, net] of want.networks) {
    const facts = have.devices.get(vni);
    const setup = deviceCommands(net, facts, env);
    ip.push(...setup);
    if (setup.length > 0) touched.push(net);
    // A new VXLAN device starts empty; a kept one still holds what was programmed.
    const old = vxlanReusable(net, facts, env) ? (have.entries.get(vni) ?? noEntries()) : noEntries();
    const entries = want.entries.get(vni) ?? noEntries();
    diffEntries(vxlanName(vni), old, entries, neigh, bridge);
    next.devices.set(vni, expectedFacts(net, env));
    next.entries.set(vni, entries);
  }
  return { ip: [...ip, ...neigh], bridge, touched, removed, next };
}

function diffEntries(dev: string, have: ForwardingEntries, want: ForwardingEntries, ip: string[], bridge: string[]): void {
  for (const [addr, mac] of want.neigh) if (have.neigh.get(addr) !== mac) ip.push(`neigh replace ${addr} lladdr ${mac} dev ${dev} nud permanent`);
  for (const addr of have.neigh.keys()) if (!want.neigh.has(addr)) ip.push(`neigh del ${addr} dev ${dev}`);
  for (const [mac, dst] of want.fdb) if (have.fdb.get(mac) !== dst) bridge.push(`fdb replace ${mac} dev ${dev} dst ${dst} self permanent`);
  for (const mac of have.fdb.keys()) if (!want.fdb.has(mac)) bridge.push(`fdb del ${mac} dev ${dev} self`);
}
