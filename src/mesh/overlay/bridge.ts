import { exec } from '../../util/exec.js';
import { writeFile } from 'node:fs/promises';

/** The host's side of one overlay network: a bridge its local tasks plug into, with the host's own address. */
export interface NetworkBridge {
  name: string;
  mtu: number;
}

export const OVERLAY_MTU = 1450;

/** Bridge names are per network (by VXLAN ID) and short enough for the kernel's 15-character limit. */
export const bridgeName = (vni: number): string => `shoal${vni}`;

/** A fixed MAC per host address, so the bridge's MAC does not follow its ports (02:aa + the IPv4 address). */
function macFor(ip: string): string {
  return ['02', 'aa', ...ip.split('.').map((o) => Number(o).toString(16).padStart(2, '0'))].join(':');
}

/** Bridges set up (or being set up) by this process: tasks starting together share one setup. */
const ready = new Map<string, Promise<NetworkBridge>>();

/**
 * Creates (or keeps) the bridge of network `vni` in the current network namespace, with the
 * host's address on it. Idempotent: a daemon restart finds the bridge already there.
 */
export function ensureBridge(vni: number, hostAddress: string): Promise<NetworkBridge> {
  const key = `${vni}/${hostAddress}`;
  let p = ready.get(key);
  if (!p) {
    p = setUpBridge(vni, hostAddress);
    p.catch(() => ready.delete(key));
    ready.set(key, p);
  }
  return p;
}

async function setUpBridge(vni: number, hostAddress: string): Promise<NetworkBridge> {
  const name = bridgeName(vni);
  const [ip] = hostAddress.split('/');
  const exists = (await exec('ip', ['-o', 'link', 'show', 'dev', name], { allowFail: true })).code === 0;
  const cmds = [
    ...(exists ? [] : [`link add name ${name} type bridge`]),
    `link set dev ${name} address ${macFor(ip)} mtu ${OVERLAY_MTU}`,
    `addr replace ${hostAddress} dev ${name}`,
    `link set dev ${name} up`,
  ];
  await exec('ip', ['-batch', '-'], { input: cmds.join('\n') + '\n' });
  // Tasks' traffic is routed through the host (published ports, other networks): forwarding must be on here.
  await writeFile('/proc/sys/net/ipv4/ip_forward', '1');
  return { name, mtu: OVERLAY_MTU };
}

/** Removes every bridge this daemon made (on shutdown or when leaving the swarm). */
export async function removeBridges(): Promise<void> {
  ready.clear();
  const { stdout } = await exec('ip', ['-o', 'link', 'show', 'type', 'bridge']);
  for (const m of stdout.matchAll(/^\d+: (shoal\d+)[:@]/gm)) await exec('ip', ['link', 'del', m[1]], { allowFail: true });
}
