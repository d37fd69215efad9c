import { bridgeName, hostMac, vxlanName } from './names.js';
import type { DeviceFacts, OverlayNetwork, UnderlayEnv } from './types.js';

/** The devices of `net` as they are once set up: what the kernel holds after deviceCommands ran. */
export function expectedFacts(net: OverlayNetwork, env: UnderlayEnv): Required<DeviceFacts> {
  return {
    bridge: { mac: hostMac(net.hostAddress), mtu: env.mtu, up: true, addresses: [net.hostAddress] },
    vxlan: { id: net.vni, local: env.address, port: env.port, learning: false, proxy: true, mtu: env.mtu, master: bridgeName(net.vni), up: true },
  };
}

/** Whether an existing VXLAN device can be kept (its creation parameters cannot be changed in place). */
export function vxlanReusable(net: OverlayNetwork, have: DeviceFacts | undefined, env: UnderlayEnv): boolean {
  const v = have?.vxlan;
  const want = expectedFacts(net, env).vxlan;
  return !!v && v.id === want.id && v.local === want.local && v.port === want.port && v.learning === want.learning && v.proxy === want.proxy;
}

/**
 * `ip -batch` lines that bring a network's bridge and VXLAN device from `have` (what the kernel
 * holds, or nothing) to their set-up state, touching only what differs: a bridge is never
 * recreated (tasks' veths hang on it); a VXLAN device with the wrong parameters is.
 */
export function deviceCommands(net: OverlayNetwork, have: DeviceFacts | undefined, env: UnderlayEnv): string[] {
  const want = expectedFacts(net, env);
  const br = bridgeName(net.vni);
  const vx = vxlanName(net.vni);
  const b = have?.bridge;
  const lines: string[] = [];
  if (!b) lines.push(`link add name ${br} type bridge`);
  if (!b || b.mac !== want.bridge.mac || b.mtu !== env.mtu) lines.push(`link set dev ${br} address ${want.bridge.mac} mtu ${env.mtu}`);
  for (const a of b?.addresses ?? []) if (a !== net.hostAddress) lines.push(`addr del ${a} dev ${br}`);
  if (!b?.addresses.includes(net.hostAddress)) lines.push(`addr add ${net.hostAddress} dev ${br}`);
  const v = have?.vxlan;
  const reusable = vxlanReusable(net, have, env);
  if (v && !reusable) lines.push(`link del ${vx}`);
  if (!reusable) {
    const dev = env.device ? ` dev ${env.device}` : '';
    lines.push(`link add name ${vx} type vxlan id ${net.vni} dstport ${env.port} local ${env.address}${dev} nolearning proxy`);
  }
  if (!reusable || v!.mtu !== env.mtu || v!.master !== br || !v!.up) lines.push(`link set dev ${vx} mtu ${env.mtu} master ${br} up`);
  if (!b?.up) lines.push(`link set dev ${br} up`);
  return lines;
}

/** Lines that remove whatever devices of one VNI exist (their entries go with them). */
export function removalCommands(vni: number, have: DeviceFacts): string[] {
  return [...(have.vxlan ? [`link del ${vxlanName(vni)}`] : []), ...(have.bridge ? [`link del ${bridgeName(vni)}`] : [])];
}
