import type { EndpointTable, TaskEndpoint } from '../../../src/cluster/endpoints/types.js';

/** Three hosts; appnet (4097) and backend (4098, internal); host n<i> has .<i+1> on each network. */
export function table(tasks: TaskEndpoint[], version = 10): EndpointTable {
  const hosts = (octet: number) => ({ n1: `10.0.${octet}.2/24`, n2: `10.0.${octet}.3/24`, n3: `10.0.${octet}.4/24` });
  return {
    version,
    nodes: [
      { nodeId: 'n1', hostname: 'h1', addr: '192.168.77.1' },
      { nodeId: 'n2', hostname: 'h2', addr: '192.168.77.2' },
      { nodeId: 'n3', hostname: 'h3', addr: '192.168.77.3' },
    ],
    networks: [
      { networkId: 'app', name: 'appnet', vni: 4097, subnet: '10.0.1.0/24', ingress: false, internal: false, attachable: false, hostAddresses: hosts(1) },
      { networkId: 'back', name: 'backend', vni: 4098, subnet: '10.0.2.0/24', ingress: false, internal: true, attachable: false, hostAddresses: hosts(2) },
    ],
    services: [],
    tasks,
  };
}

export const task = (taskId: string, nodeId: string, addresses: Record<string, string>): TaskEndpoint => ({ taskId, serviceId: 's', name: `web.1.${taskId}`, nodeId, addresses });

export const UNDERLAY = { address: '192.168.77.1', device: 'eth0', mtu: 1450, port: 4789 };
