import type { EndpointTable } from '../../cluster/endpoints/types.js';
import { backendAt, bareIpv4, byTaskId, isPort, tasksByService, type L4Protocol, type VipRule } from '../dataplane/plan.js';

/**
 * Every VIP of every service in VIP mode, on every network but ingress (published ports balance
 * ingress traffic straight to tasks), each over the tasks' addresses on that network. Every host
 * serves every VIP: a task sends VIP traffic to its own host, wherever the backends are.
 */
export function serviceVips(table: EndpointTable): VipRule[] {
  const ingress = new Set(table.networks.filter((n) => n.ingress).map((n) => n.networkId));
  const known = new Set(table.networks.map((n) => n.networkId));
  const rules: VipRule[] = [];
  const seen = new Set<string>();
  const byService = tasksByService(table.tasks);
  for (const s of table.services) {
    if (s.mode !== 'vip') continue;
    const tasks = byService.get(s.serviceId) ?? [];
    const ports = targetPorts(s.ports);
    for (const [networkId, address] of Object.entries(s.vips)) {
      const vip = bareIpv4(address);
      if (!vip || ingress.has(networkId) || !known.has(networkId) || seen.has(vip)) continue;
      seen.add(vip);
      const backends = tasks.flatMap((t) => backendAt(t, t.addresses[networkId]));
      rules.push({ vip, networkId, serviceId: s.serviceId, service: s.name, ports, backends: backends.sort(byTaskId) });
    }
  }
  return rules.sort((a, b) => (a.vip < b.vip ? -1 : a.vip > b.vip ? 1 : 0));
}

function targetPorts(ports: readonly { protocol: string; targetPort: number }[]): { protocol: L4Protocol; port: number }[] {
  const out = new Map<string, { protocol: L4Protocol; port: number }>();
  for (const p of ports) {
    if ((p.protocol === 'tcp' || p.protocol === 'udp') && isPort(p.targetPort)) out.set(`${p.protocol}/${p.targetPort}`, { protocol: p.protocol, port: p.targetPort });
  }
  return [...out.values()];
}
