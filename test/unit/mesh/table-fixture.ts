import type { EndpointTable, PublishedPort, ServiceEndpoint, TaskEndpoint } from '../../../src/cluster/endpoints/types.js';

/** A small endpoint table for the mesh's pure functions: ingress and appnet, two nodes. */
export function table(services: ServiceEndpoint[], tasks: TaskEndpoint[], version = 1): EndpointTable {
  return {
    version,
    nodes: [
      { nodeId: 'n1', hostname: 'h1', addr: '192.168.0.1' },
      { nodeId: 'n2', hostname: 'h2', addr: '192.168.0.2' },
    ],
    networks: [
      { networkId: 'ing', name: 'ingress', vni: 4096, subnet: '10.0.0.0/24', ingress: true, internal: false, attachable: false, hostAddresses: { n1: '10.0.0.2/24', n2: '10.0.0.3/24' } },
      { networkId: 'app', name: 'appnet', vni: 4097, subnet: '10.0.1.0/24', ingress: false, internal: false, attachable: false, hostAddresses: { n1: '10.0.1.2/24', n2: '10.0.1.3/24' } },
    ],
    services,
    tasks,
  };
}

export function service(serviceId: string, ports: PublishedPort[], vips: Record<string, string>, extra: Partial<ServiceEndpoint> = {}): ServiceEndpoint {
  return { serviceId, name: serviceId, mode: 'vip', ports, vips, aliases: {}, networks: Object.keys(vips), ...extra };
}

export function task(taskId: string, serviceId: string, nodeId: string, addresses: Record<string, string>): TaskEndpoint {
  return { taskId, serviceId, name: `${serviceId}.${taskId}`, nodeId, addresses };
}

export const ingressPort = (protocol: 'tcp' | 'udp', publishedPort: number, targetPort: number): PublishedPort => ({ protocol, publishedPort, targetPort, mode: 'ingress' });
export const hostPort = (protocol: 'tcp' | 'udp', publishedPort: number, targetPort: number): PublishedPort => ({ protocol, publishedPort, targetPort, mode: 'host' });
