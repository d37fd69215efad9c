import { writeFile } from 'node:fs/promises';
import { exec } from '../../util/exec.js';
import { localRunner, runBatch } from './commands.js';
import { removalCommands } from './devices.js';
import { readKernel } from './kernel-view.js';
import { bridgeName, hostMac, OVERLAY_MTU, type NetworkBridge } from './names.js';

export type { NetworkBridge } from './names.js';
export { bridgeName, OVERLAY_MTU } from './names.js';

/*
 * The single-host path the daemon uses until its agent drives an Overlay (overlay.ts): a bridge
 * per network with the host's address, no VXLAN. Replaced by Overlay.attach and Overlay.close.
 */

/** Bridges set up (or being set up) by this process: tasks starting together share one setup. */
const ready = new Map<string, Promise<NetworkBridge>>();

/** Creates (or keeps) the bridge of network `vni` in this namespace, with the host's address on it. */
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
  const exists = (await exec('ip', ['-o', 'link', 'show', 'dev', name], { allowFail: true })).code === 0;
  const cmds = [
    ...(exists ? [] : [`link add name ${name} type bridge`]),
    `link set dev ${name} address ${hostMac(hostAddress)} mtu ${OVERLAY_MTU}`,
    `addr replace ${hostAddress} dev ${name}`,
    `link set dev ${name} up`,
  ];
  await exec('ip', ['-batch', '-'], { input: cmds.join('\n') + '\n' });
  // Tasks' traffic is routed through the host (published ports, other networks): forwarding must be on here.
  await writeFile('/proc/sys/net/ipv4/ip_forward', '1');
  return { name, mtu: OVERLAY_MTU };
}

/** Removes every overlay device in this namespace (on shutdown or when leaving the swarm). */
export async function removeBridges(): Promise<void> {
  ready.clear();
  const { view } = await readKernel(localRunner, { address: '' });
  await runBatch(localRunner, 'ip', [...view.devices].flatMap(([vni, facts]) => removalCommands(vni, facts)));
}
