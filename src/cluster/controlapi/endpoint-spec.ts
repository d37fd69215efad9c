import { invalidArgument } from '../../util/errors.js';
import type { ReadTx } from '../store/types.js';
import type { EndpointSpec, PortConfig } from '../types.js';
import { rpcError } from './errors.js';

const PROTOCOLS = ['tcp', 'udp', 'sctp'] as const;
const PUBLISH_MODES = ['ingress', 'host'] as const;
const MAX_PORT = 65535;

/** Validates an endpoint spec and returns it as Docker stores it (mode, protocol and publish mode filled in). */
export function normalizeEndpointSpec(spec: EndpointSpec): EndpointSpec {
  const mode = spec.Mode || 'vip';
  if (mode !== 'vip' && mode !== 'dnsrr') throw invalidArgument(`invalid EndpointSpec.Mode "${mode}": use vip or dnsrr`);
  const out: EndpointSpec = { ...spec, Mode: mode };
  if (!spec.Ports) return out;
  const published = new Set<string>();
  out.Ports = spec.Ports.map((p) => {
    const port = normalizePort(p);
    if (mode === 'dnsrr' && port.PublishMode === 'ingress') {
      throw rpcError('InvalidArgument', "EndpointSpec: port published with ingress mode can't be used with dnsrr mode");
    }
    if (port.PublishedPort) {
      const key = `${port.PublishedPort}/${port.Protocol}`;
      if (published.has(key)) throw rpcError('InvalidArgument', 'EndpointSpec: duplicate published ports provided');
      published.add(key);
    }
    return port;
  });
  return out;
}

function normalizePort(p: PortConfig): PortConfig {
  const protocol = p.Protocol || 'tcp';
  if (!PROTOCOLS.includes(protocol)) throw invalidArgument(`invalid port protocol "${protocol}": use tcp, udp or sctp`);
  const publishMode = p.PublishMode || 'ingress';
  if (!PUBLISH_MODES.includes(publishMode)) throw invalidArgument(`invalid port PublishMode "${publishMode}": use ingress or host`);
  for (const [field, value] of [['TargetPort', p.TargetPort], ['PublishedPort', p.PublishedPort]] as const) {
    if ((value ?? 0) > MAX_PORT) throw invalidArgument(`invalid ${field} ${value}: ports are 0-${MAX_PORT}`);
  }
  return { ...p, Protocol: protocol, TargetPort: p.TargetPort ?? 0, PublishedPort: p.PublishedPort ?? 0, PublishMode: publishMode };
}

/** Ports every host uses itself, by `port/protocol`, with what uses them: a published port there would take them over. */
function reservedPorts(tx: ReadTx): Map<string, string> {
  const reserved = new Map<string, string>([
    ['22/tcp', 'SSH'],
    ['2375/tcp', 'the Engine API'],
    ['2376/tcp', 'the Engine API over TLS'],
  ]);
  for (const m of tx.find('nodes', 'role', 'manager')) {
    const addr = m.ManagerStatus?.Addr ?? '';
    reserved.set(`${Number(addr.slice(addr.lastIndexOf(':') + 1)) || 2377}/tcp`, 'the managers\' cluster port');
  }
  reserved.set(`${tx.list('cluster')[0]?.DataPathPort || 4789}/udp`, 'the overlay\'s VXLAN traffic (data path port)');
  return reserved;
}

/** Refuses published ports the hosts use themselves (SSH, the cluster port, the data path port, the Engine API). */
export function checkReservedPorts(tx: ReadTx, spec: EndpointSpec | undefined): void {
  const published = (spec?.Ports ?? []).filter((p) => p.PublishedPort);
  if (published.length === 0) return;
  const reserved = reservedPorts(tx);
  for (const p of published) {
    const key = `${p.PublishedPort}/${p.Protocol || 'tcp'}`;
    const user = reserved.get(key);
    if (user) throw rpcError('InvalidArgument', `port ${key} cannot be published: every host uses it for ${user}; publish another port`);
  }
}

/** Refuses published ports another service already holds (swarmkit's checkPortConflicts). */
export function checkPortConflicts(tx: ReadTx, spec: EndpointSpec | undefined, serviceId?: string): void {
  const key = (p: PortConfig): string => `${p.PublishedPort}/${p.Protocol || 'tcp'}`;
  const ingress = new Set<string>();
  const host = new Set<string>();
  for (const p of spec?.Ports ?? []) {
    if (!p.PublishedPort) continue;
    (p.PublishMode === 'host' ? host : ingress).add(key(p));
  }
  if (ingress.size === 0 && host.size === 0) return;
  for (const other of tx.list('services')) {
    if (other.ID === serviceId) continue;
    for (const p of [...(other.Spec.EndpointSpec?.Ports ?? []), ...(other.Endpoint?.Ports ?? [])]) {
      if (!p.PublishedPort) continue;
      const k = key(p);
      const name = `'${other.Spec.Name}' (${other.ID})`;
      if (p.PublishMode === 'host' && ingress.has(k)) {
        throw rpcError('InvalidArgument', `port '${p.PublishedPort}' is already in use by service ${name} as a host-published port`);
      }
      if (p.PublishMode !== 'host' && (ingress.has(k) || host.has(k))) {
        throw rpcError('InvalidArgument', `port '${p.PublishedPort}' is already in use by service ${name} as an ingress port`);
      }
    }
  }
}
