import { ShoalError, invalidArgument, isShoalError } from '../../util/errors.js';
import type { ReadTx } from '../store/types.js';
import type {
  ConfigReference,
  ContainerSpec,
  HealthConfig,
  NetworkAttachmentConfig,
  Placement,
  RestartPolicy,
  SecretReference,
  TaskSpec,
} from '../types.js';
import { rpcError } from './errors.js';
import { isValidImageReference } from './image-reference.js';
import { resolve } from './resolve.js';

const MIN_NANO_CPUS = 1e6;
const MIN_MEMORY = 4 * 1024 * 1024;
const MIN_HEALTH_DURATION = 1e6; // 1ms, in nanoseconds
const HOSTNAME = /^(([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])\.)*([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])$/;
const CONSTRAINT_KEY = /^[a-z_][a-z0-9\-_.]+$/i;
const CONSTRAINT_VALUE = /^[a-z0-9:\-_\s.*()?+[\]\\^$|/]+$/i;
const LOCAL_NETWORKS = ['bridge', 'host', 'none'];

/**
 * Validates a service's task template as swarmkit does and returns it as Docker stores it:
 * network targets resolved to IDs, `Runtime` "container", `ForceUpdate` and `Isolation` set.
 */
export function normalizeTaskSpec(tx: ReadTx, spec: TaskSpec): TaskSpec {
  if (spec.Runtime && spec.Runtime !== 'container') {
    throw invalidArgument(`unsupported runtime "${spec.Runtime}": Shoal runs container tasks only; leave TaskTemplate.Runtime empty or "container"`);
  }
  validateResources(spec.Resources?.Limits);
  validateResources(spec.Resources?.Reservations);
  const out: TaskSpec = { ...spec };
  if (spec.RestartPolicy) out.RestartPolicy = normalizeRestartPolicy(spec.RestartPolicy);
  if (spec.Placement) validatePlacement(spec.Placement);
  if (!spec.ContainerSpec) throw rpcError('InvalidArgument', 'TaskSpec: missing runtime');
  out.ContainerSpec = normalizeContainerSpec(tx, spec.ContainerSpec);
  if (spec.Networks) out.Networks = resolveNetworkAttachments(tx, spec.Networks);
  out.ForceUpdate = spec.ForceUpdate ?? 0;
  out.Runtime = 'container';
  return out;
}

function normalizeContainerSpec(tx: ReadTx, c: ContainerSpec): ContainerSpec {
  if (c.Hostname && (c.Hostname.length > 63 || !HOSTNAME.test(c.Hostname))) {
    throw rpcError('InvalidArgument', `ContainerSpec: ${c.Hostname} is not valid hostname`);
  }
  if (!c.Image) throw rpcError('InvalidArgument', 'ContainerSpec: image reference must be provided');
  if (!isValidImageReference(c.Image)) throw rpcError('InvalidArgument', `ContainerSpec: "${c.Image}" is not a valid repository/tag`);
  const targets = new Set<string>();
  for (const m of c.Mounts ?? []) {
    if (targets.has(m.Target)) throw rpcError('InvalidArgument', `ContainerSpec: duplicate mount point: ${m.Target}`);
    targets.add(m.Target);
  }
  if (c.HealthCheck) validateHealthCheck(c.HealthCheck);
  const isolation = c.Isolation || 'default';
  if (!['default', 'process', 'hyperv'].includes(isolation)) {
    throw invalidArgument(`invalid isolation "${isolation}": use default, process or hyperv`);
  }
  if (c.Secrets) checkSecretReferences(tx, c.Secrets);
  if (c.Configs) checkConfigReferences(tx, c.Configs);
  return { ...c, Isolation: isolation };
}

function validateResources(r: { NanoCPUs?: number; MemoryBytes?: number } | undefined): void {
  if (!r) return;
  if (r.NanoCPUs && r.NanoCPUs < MIN_NANO_CPUS) {
    throw rpcError('InvalidArgument', `invalid cpu value ${r.NanoCPUs / 1e9}: Must be at least ${MIN_NANO_CPUS / 1e9}`);
  }
  if (r.MemoryBytes && r.MemoryBytes < MIN_MEMORY) {
    throw rpcError('InvalidArgument', `invalid memory value ${r.MemoryBytes}: Must be at least 4MiB`);
  }
}

function normalizeRestartPolicy(p: RestartPolicy): RestartPolicy {
  const condition = p.Condition || 'any';
  if (!['none', 'on-failure', 'any'].includes(condition)) throw invalidArgument(`invalid RestartCondition: "${condition}"`);
  if ((p.Delay ?? 0) < 0) throw rpcError('InvalidArgument', 'TaskSpec: restart-delay cannot be negative');
  if ((p.Window ?? 0) < 0) throw rpcError('InvalidArgument', 'TaskSpec: restart-window cannot be negative');
  return { ...p, Condition: condition, MaxAttempts: p.MaxAttempts ?? 0 };
}

/** Placement constraints are `key==value` or `key!=value` (swarmkit's constraint.Parse). */
function validatePlacement(p: Placement): void {
  for (const expr of p.Constraints ?? []) {
    const op = ['==', '!='].find((o) => expr.includes(o));
    if (!op) throw rpcError('InvalidArgument', 'constraint expected one operator from ==, !=');
    const [rawKey, rawValue] = [expr.slice(0, expr.indexOf(op)), expr.slice(expr.indexOf(op) + 2)];
    const key = rawKey.trim();
    const value = rawValue.trim();
    if (!CONSTRAINT_KEY.test(key)) throw rpcError('InvalidArgument', `key '${key}' is invalid`);
    if (!CONSTRAINT_VALUE.test(value)) throw rpcError('InvalidArgument', `value '${value}' is invalid`);
  }
}

function validateHealthCheck(h: HealthConfig): void {
  for (const field of ['Interval', 'Timeout', 'StartPeriod'] as const) {
    const v = h[field] ?? 0;
    if (v !== 0 && v < MIN_HEALTH_DURATION) {
      throw rpcError('InvalidArgument', `ContainerSpec: ${field} in HealthConfig cannot be less than 1ms`);
    }
  }
  if ((h.Retries ?? 0) < 0) throw rpcError('InvalidArgument', 'ContainerSpec: Retries in HealthConfig cannot be negative');
  // A check type with nothing to run would leave the task starting forever.
  const [kind, ...command] = h.Test ?? [];
  if ((kind === 'CMD' || kind === 'CMD-SHELL') && !command.some((word) => word.trim() !== '')) {
    throw rpcError('InvalidArgument', `ContainerSpec: HealthConfig Test ["${kind}"] has no command: give the command after "${kind}" (e.g. ["CMD", "wget", "-q", "-O-", "http://localhost/"]), or ["NONE"] to disable the image's check`);
  }
}

function checkSecretReferences(tx: ReadTx, refs: SecretReference[]): void {
  const targets = new Map<string, string>();
  for (const ref of refs) {
    if (!ref.SecretID || !ref.SecretName) throw rpcError('InvalidArgument', 'malformed secret reference');
    if (!ref.File) throw rpcError('InvalidArgument', 'malformed secret reference, no target provided');
    checkTarget(targets, 'secret', ref.SecretName, ref.File.Name);
  }
  const missing = refs.filter((r) => tx.get('secrets', r.SecretID)?.Spec.Name !== r.SecretName).map((r) => r.SecretName);
  if (missing.length > 0) throw rpcError('InvalidArgument', `${missing.length === 1 ? 'secret' : 'secrets'} not found: ${missing.join(', ')}`);
}

function checkConfigReferences(tx: ReadTx, refs: ConfigReference[]): void {
  const targets = new Map<string, string>();
  for (const ref of refs) {
    if (!ref.ConfigID || !ref.ConfigName) throw rpcError('InvalidArgument', 'malformed config reference');
    if (!ref.File && !ref.Runtime) throw rpcError('InvalidArgument', 'malformed config reference, no target provided');
    if (ref.File) checkTarget(targets, 'config', ref.ConfigName, ref.File.Name);
  }
  const missing = refs.filter((r) => tx.get('configs', r.ConfigID)?.Spec.Name !== r.ConfigName).map((r) => r.ConfigName);
  if (missing.length > 0) throw rpcError('InvalidArgument', `${missing.length === 1 ? 'config' : 'configs'} not found: ${missing.join(', ')}`);
}

function checkTarget(targets: Map<string, string>, kind: 'secret' | 'config', name: string, file: string): void {
  if (!file) throw rpcError('InvalidArgument', `malformed file ${kind} reference, invalid target file name provided`);
  const previous = targets.get(file);
  if (previous !== undefined) {
    throw rpcError('InvalidArgument', `${kind} references '${previous}' and '${name}' have a conflicting target: '${file}'`);
  }
  targets.set(file, name);
}

/**
 * Resolves network attachments by name, ID or ID prefix to network IDs, as Docker's daemon
 * does before handing a spec to swarmkit. Only swarm networks can be attached, and never ingress.
 */
export function resolveNetworkAttachments(tx: ReadTx, attachments: NetworkAttachmentConfig[]): NetworkAttachmentConfig[] {
  return attachments.map((a) => {
    let network;
    try {
      network = resolve(tx, 'networks', a.Target);
    } catch (err) {
      if (isShoalError(err, 'not_found') && LOCAL_NETWORKS.includes(a.Target)) {
        throw new ShoalError(
          'forbidden',
          `The network ${a.Target} cannot be used with services. Only networks scoped to the swarm can be used, such as those created with the overlay driver.`,
        );
      }
      throw err;
    }
    if (network.Spec.Ingress) {
      throw rpcError('InvalidArgument', `Service cannot be explicitly attached to the ingress network "${network.Spec.Name}"`);
    }
    return { ...a, Target: network.ID };
  });
}
