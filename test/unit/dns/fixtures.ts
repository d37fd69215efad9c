import type { EndpointTable, ServiceEndpoint, TaskEndpoint } from '../../../src/cluster/endpoints/types.js';

/**
 * A small cluster's endpoint table: network appnet (10.0.1.0/24) with service web (vip, 3 tasks,
 * alias "www") and service db (dnsrr, 2 tasks, one also on backnet); network backnet
 * (10.0.2.0/24) with service cache (vip, 1 task); the ingress network (10.0.0.0/24), which
 * publishes no names, with web on it too.
 */
export function sampleTable(version = 10): EndpointTable {
  const web: ServiceEndpoint = {
    serviceId: 'svcweb',
    name: 'web',
    mode: 'vip',
    ports: [],
    vips: { net_app: '10.0.1.5/24', net_ingress: '10.0.0.5/24' },
    aliases: { net_app: ['www'] },
    networks: ['net_app', 'net_ingress'],
  };
  const db: ServiceEndpoint = { serviceId: 'svcdb', name: 'db', mode: 'dnsrr', ports: [], vips: {}, aliases: {}, networks: ['net_app', 'net_back'] };
  const cache: ServiceEndpoint = { serviceId: 'svccache', name: 'cache', mode: 'vip', ports: [], vips: { net_back: '10.0.2.5/24' }, aliases: {}, networks: ['net_back'] };
  const task = (name: string, serviceId: string, nodeId: string, addresses: Record<string, string>): TaskEndpoint => ({
    taskId: name.split('.')[2]!,
    serviceId,
    name,
    slot: Number(name.split('.')[1]),
    nodeId,
    addresses,
  });
  return {
    version,
    nodes: [
      { nodeId: 'n1', hostname: 'h1', addr: '192.168.7.1' },
      { nodeId: 'n2', hostname: 'h2', addr: '192.168.7.2' },
    ],
    networks: [
      { networkId: 'net_ingress', name: 'ingress', vni: 4096, subnet: '10.0.0.0/24', ingress: true, internal: false, attachable: false, hostAddresses: { n1: '10.0.0.2/24' } },
      { networkId: 'net_app', name: 'appnet', vni: 4097, subnet: '10.0.1.0/24', ingress: false, internal: false, attachable: false, hostAddresses: { n1: '10.0.1.2/24', n2: '10.0.1.3/24' } },
      { networkId: 'net_back', name: 'backnet', vni: 4098, subnet: '10.0.2.0/24', ingress: false, internal: false, attachable: false, hostAddresses: { n1: '10.0.2.2/24' } },
    ],
    services: [web, db, cache],
    tasks: [
      task('web.1.aaa', 'svcweb', 'n1', { net_app: '10.0.1.11/24', net_ingress: '10.0.0.11/24' }),
      task('web.2.bbb', 'svcweb', 'n2', { net_app: '10.0.1.12/24', net_ingress: '10.0.0.12/24' }),
      task('web.3.ccc', 'svcweb', 'n1', { net_app: '10.0.1.13/24', net_ingress: '10.0.0.13/24' }),
      task('db.1.ddd', 'svcdb', 'n1', { net_app: '10.0.1.21/24', net_back: '10.0.2.21/24' }),
      task('db.2.eee', 'svcdb', 'n2', { net_app: '10.0.1.22/24' }),
      task('cache.1.fff', 'svccache', 'n1', { net_back: '10.0.2.31/24' }),
    ],
  };
}
