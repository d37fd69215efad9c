import { isIP } from 'node:net';
import { ShoalError, invalidArgument } from '../../util/errors.js';
import { newId } from '../../util/ids.js';
import type { ReadTx, WriteTx } from '../store/types.js';
import { TASK_STATES, type IPAMConfig, type Labels, type NetworkObjectSwarm, type ServiceObject } from '../types.js';
import { overlaps, parseCidr as parseIpv4Cidr } from '../allocator/ipv4.js';
import { cidrContains, parseCidr } from './cidr.js';
import { rpcError } from './errors.js';
import { checkFilterNames, filterValues, matchesExact, matchesLabels, matchesPattern, type Filters } from './filters.js';
import { findIngressNetwork, needsIngress } from './ingress.js';
import { validateDnsName } from './names.js';
import { byId, resolve } from './resolve.js';

/** `POST /networks/create`, as the Engine API defines it. */
export interface NetworkCreateRequest {
  Name: string;
  CheckDuplicate?: boolean;
  Driver?: string;
  Scope?: string;
  EnableIPv6?: boolean;
  IPAM?: { Driver?: string; Config?: IPAMConfig[] | null; Options?: Record<string, string> | null } | null;
  Internal?: boolean;
  Attachable?: boolean;
  Ingress?: boolean;
  ConfigOnly?: boolean;
  ConfigFrom?: { Network?: string } | null;
  Options?: Record<string, string> | null;
  Labels?: Labels | null;
}

export const NETWORK_FILTERS = ['dangling', 'driver', 'id', 'label', 'name', 'scope', 'type'] as const;
const PREDEFINED = ['bridge', 'host', 'none', 'default'];
const INTERNAL_LABEL = 'com.docker.swarm.internal';

/** The driver a swarm network runs on (what `network ls` shows). */
export const networkDriver = (n: NetworkObjectSwarm): string => n.DriverState?.Name || n.Spec.DriverConfiguration?.Name || 'overlay';

/**
 * Creates a swarm-scoped overlay network. Subnets and the VXLAN ID are the allocator's: IPAM
 * configs stay as given (empty if none) and the driver state starts empty.
 */
export function createNetwork(tx: WriteTx, req: NetworkCreateRequest): NetworkObjectSwarm {
  if (PREDEFINED.includes(req.Name)) throw new ShoalError('forbidden', `${req.Name} is a pre-defined network and cannot be created`);
  validateDnsName(req.Name ?? '');
  const driver = req.Driver || 'overlay';
  if (driver !== 'overlay') {
    throw invalidArgument(`network driver "${driver}" is not supported: Shoal creates swarm-scoped overlay networks only; use --driver overlay`);
  }
  if (req.Scope && req.Scope !== 'swarm') throw invalidArgument(`network scope "${req.Scope}" is not supported: Shoal networks are swarm-scoped; leave Scope empty or "swarm"`);
  if (req.ConfigOnly || req.ConfigFrom?.Network) throw invalidArgument('config-only networks (ConfigOnly, ConfigFrom) are not supported by Shoal');
  const labels = req.Labels ?? {};
  if (Object.hasOwn(labels, INTERNAL_LABEL)) {
    throw rpcError('PermissionDenied', `label ${INTERNAL_LABEL} is for predefined internal networks and cannot be applied by users`);
  }
  const ipamDriver = req.IPAM?.Driver || 'default';
  if (ipamDriver !== 'default') throw invalidArgument(`IPAM driver "${ipamDriver}" is not supported: use the default IPAM driver`);
  const configs = (req.IPAM?.Config ?? []).map(validateIpamConfig);
  refuseOverlaps(tx, configs);
  if (tx.find('networks', 'name', req.Name).length > 0) throw new ShoalError('conflict', `network with name ${req.Name} already exists`);
  if (req.Ingress) {
    if (req.Attachable) throw invalidArgument('ingress network cannot be attachable');
    const existing = findIngressNetwork(tx);
    if (existing) throw rpcError('AlreadyExists', `ingress network (${existing.ID}) is already present`);
  }
  const ipamOptions = req.IPAM?.Options ?? undefined;
  return tx.create('networks', {
    ID: newId(),
    Version: { Index: 0 },
    CreatedAt: '',
    UpdatedAt: '',
    Spec: {
      Name: req.Name,
      Labels: labels,
      DriverConfiguration: { Name: driver, ...(req.Options ? { Options: req.Options } : {}) },
      ...(req.EnableIPv6 ? { IPv6Enabled: true } : {}),
      ...(req.Internal ? { Internal: true } : {}),
      ...(req.Attachable ? { Attachable: true } : {}),
      ...(req.Ingress ? { Ingress: true } : {}),
      IPAMOptions: { Driver: { Name: ipamDriver, ...(ipamOptions ? { Options: ipamOptions } : {}) }, Configs: configs },
      Scope: 'swarm',
    },
    DriverState: { Name: driver, Options: {} },
    IPAMOptions: { Driver: { Name: ipamDriver, ...(ipamOptions ? { Options: ipamOptions } : {}) }, Configs: configs },
  });
}

/** swarmkit's IPAM checks: a valid subnet, with the gateway, range and auxiliary addresses inside it. */
function validateIpamConfig(c: IPAMConfig): IPAMConfig {
  const subnet = parseCidr(c.Subnet ?? '');
  if (!subnet) throw rpcError('InvalidArgument', `ipam configuration: invalid subnet ${c.Subnet ?? ''}`);
  if (c.IPRange) {
    const range = parseCidr(c.IPRange);
    if (!range) throw rpcError('InvalidArgument', `ipam configuration: invalid range ${c.IPRange}`);
    if (!cidrContains(subnet, range.address)) {
      throw rpcError('InvalidArgument', `ipam configuration: subnet ${c.Subnet} does not contain range ${c.IPRange}`);
    }
  }
  if (c.Gateway) {
    if (isIP(c.Gateway) === 0) throw rpcError('InvalidArgument', `ipam configuration: invalid gateway ${c.Gateway}`);
    if (!cidrContains(subnet, c.Gateway)) {
      throw rpcError('InvalidArgument', `ipam configuration: subnet ${c.Subnet} does not contain gateway ${c.Gateway}`);
    }
  }
  for (const [name, ip] of Object.entries(c.AuxiliaryAddresses ?? {})) {
    if (!cidrContains(subnet, ip)) throw rpcError('InvalidArgument', `ipam configuration: subnet ${c.Subnet} does not contain auxiliary address ${name}=${ip}`);
  }
  const out: IPAMConfig = { Subnet: c.Subnet! };
  if (c.IPRange) out.IPRange = c.IPRange;
  if (c.Gateway) out.Gateway = c.Gateway;
  if (c.AuxiliaryAddresses && Object.keys(c.AuxiliaryAddresses).length > 0) out.AuxiliaryAddresses = c.AuxiliaryAddresses;
  return out;
}

/**
 * Refuses IPv4 subnets that overlap one another or any other network's (given or allocated from
 * the default pool): the hosts would route one network's addresses to the other's bridge.
 */
function refuseOverlaps(tx: ReadTx, configs: readonly IPAMConfig[]): void {
  const taken = tx.list('networks').flatMap((n) => [...n.IPAMOptions.Configs, ...(n.Spec.IPAMOptions?.Configs ?? [])].map((c) => ({ name: n.Spec.Name, subnet: c.Subnet ?? '' })));
  for (const c of configs) {
    const subnet = c.Subnet!;
    if (isIP(subnet.split('/')[0]!) !== 4) continue;
    const other = taken.find((t) => isIP(t.subnet.split('/')[0]!) === 4 && overlaps(parseIpv4Cidr(t.subnet), parseIpv4Cidr(subnet)));
    if (other) {
      const owner = other.name ? `network ${other.name}` : 'another subnet of this network';
      throw rpcError('InvalidArgument', `ipam configuration: subnet ${subnet} overlaps ${owner} (${other.subnet}); choose a subnet that overlaps no other network`);
    }
    taken.push({ name: '', subnet });
  }
}

/** Whether a service attaches to a network (its tasks' networks, or the deprecated service-level ones). */
export const serviceUsesNetwork = (s: ServiceObject, networkId: string): boolean =>
  [...(s.Spec.TaskTemplate.Networks ?? []), ...(s.Spec.Networks ?? [])].some((a) => a.Target === networkId);

/**
 * Removes a network nothing uses any more. The ingress network may go once no service publishes
 * a port through it; predefined internal networks never.
 */
export function removeNetwork(tx: WriteTx, ref: string): NetworkObjectSwarm {
  const network = resolve(tx, 'networks', ref);
  if (Object.hasOwn(network.Spec.Labels ?? {}, INTERNAL_LABEL)) {
    throw rpcError('PermissionDenied', `${network.Spec.Name} (${network.ID}) is a pre-defined network and cannot be removed`);
  }
  const services = tx.list('services');
  if (network.Spec.Ingress) {
    const user = services.find((s) => needsIngress(s.Spec.EndpointSpec));
    if (user) throw rpcError('FailedPrecondition', `ingress network cannot be removed because service ${user.ID} depends on it`);
  } else {
    const user = services.find((s) => serviceUsesNetwork(s, network.ID));
    if (user) throw rpcError('FailedPrecondition', `network ${network.ID} is in use by service ${user.ID}`);
  }
  const running = TASK_STATES.indexOf('running');
  const task = tx
    .list('tasks')
    .find(
      (t) =>
        TASK_STATES.indexOf(t.DesiredState) <= running &&
        TASK_STATES.indexOf(t.Status.State) <= running &&
        (t.NetworksAttachments ?? []).some((a) => a.Network.ID === network.ID),
    );
  if (task) throw rpcError('FailedPrecondition', `network ${network.ID} is in use by task ${task.ID}`);
  tx.remove('networks', network.ID);
  return network;
}

/** Networks matching Docker's network filters (`name` and `id` are patterns, as in Docker). */
export function listNetworks(tx: ReadTx, filters: Filters): NetworkObjectSwarm[] {
  checkFilterNames(filters, NETWORK_FILTERS);
  for (const t of filterValues(filters, 'type')) {
    if (t !== 'custom' && t !== 'builtin') throw invalidArgument(`Invalid filter: 'type'='${t}'`);
  }
  const dangling = filterValues(filters, 'dangling').map(parseDangling);
  const services = tx.list('services');
  return tx
    .list('networks')
    .filter((n) => {
      const used = services.some((s) => serviceUsesNetwork(s, n.ID));
      return (
        matchesExact(networkDriver(n), filterValues(filters, 'driver')) &&
        matchesPattern(n.Spec.Name, filterValues(filters, 'name')) &&
        matchesPattern(n.ID, filterValues(filters, 'id')) &&
        matchesLabels(n.Spec.Labels, filterValues(filters, 'label')) &&
        matchesExact('swarm', filterValues(filters, 'scope')) &&
        // Swarm networks are all user-defined ("custom"), even ingress.
        matchesExact('custom', filterValues(filters, 'type')) &&
        dangling.every((d) => d === !used)
      );
    })
    .sort(byId);
}

function parseDangling(value: string): boolean {
  const v = value.toLowerCase();
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw invalidArgument(`Invalid filter 'dangling=${value}'`);
}
