import type { Context } from '../../command.js';
import type { Flags, FlagSpec } from '../../args.js';
import { parseGoDuration } from '../../../../util/duration.js';
import { ShoalError } from '../../../../util/errors.js';
import type { Doc } from './resolve.js';

/** Memory sizes as the docker CLI reads them (`512m`, `1g`; binary units). */
function ramBytes(v: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgtp]?)i?b?$/i.exec(v.trim());
  if (!m) throw new ShoalError('invalid_argument', `invalid size: '${v}'`);
  return Math.round(Number(m[1]) * 1024 ** ' kmgtp'.indexOf((m[2] || ' ').toLowerCase()));
}

const ns = (v: string) => parseGoDuration(v);
const num = (v: string) => {
  if (!/^-?\d+(\.\d+)?$/.test(v)) throw new ShoalError('invalid_argument', `invalid number: '${v}'`);
  return Number(v);
};
const obj = (parent: Doc, key: string): Doc => (parent[key] ??= {});
const tt = (s: Doc) => obj(s, 'TaskTemplate');
const cs = (s: Doc) => obj(tt(s), 'ContainerSpec');

/** A flag that sets one field of the spec; the same on create and update. */
interface ScalarFlag extends FlagSpec {
  set: (spec: Doc, value: string) => void;
}

const rollout = (key: 'UpdateConfig' | 'RollbackConfig', prefix: 'update' | 'rollback'): ScalarFlag[] => [
  { name: `${prefix}-parallelism`, type: 'string', valueName: 'uint', description: `Maximum number of tasks ${prefix === 'update' ? 'updated' : 'rolled back'} simultaneously (0 to ${prefix} all at once)`, set: (s, v) => (obj(s, key).Parallelism = num(v)) },
  { name: `${prefix}-delay`, type: 'string', valueName: 'duration', description: `Delay between ${prefix === 'update' ? 'updates' : 'task rollbacks'} (ns|us|ms|s|m|h)`, set: (s, v) => (obj(s, key).Delay = ns(v)) },
  { name: `${prefix}-failure-action`, type: 'string', description: `Action on ${prefix} failure ("pause", "continue"${prefix === 'update' ? ', "rollback"' : ''})`, set: (s, v) => (obj(s, key).FailureAction = v) },
  { name: `${prefix}-monitor`, type: 'string', valueName: 'duration', description: `Duration after each task ${prefix} to monitor for failure (ns|us|ms|s|m|h)`, set: (s, v) => (obj(s, key).Monitor = ns(v)) },
  { name: `${prefix}-max-failure-ratio`, type: 'string', valueName: 'float', description: `Failure rate to tolerate during a ${prefix}`, set: (s, v) => (obj(s, key).MaxFailureRatio = num(v)) },
  { name: `${prefix}-order`, type: 'string', description: `${prefix === 'update' ? 'Update' : 'Rollback'} order ("start-first", "stop-first")`, set: (s, v) => (obj(s, key).Order = v) },
];

const SCALAR_FLAGS: ScalarFlag[] = [
  { name: 'replicas', type: 'string', valueName: 'uint', description: 'Number of tasks', set: (s, v) => (obj(obj(s, 'Mode'), 'Replicated').Replicas = num(v)) },
  { name: 'replicas-max-per-node', type: 'string', valueName: 'uint', description: 'Maximum number of tasks per node (default 0 = unlimited)', set: (s, v) => (obj(tt(s), 'Placement').MaxReplicas = num(v)) },
  { name: 'restart-condition', type: 'string', description: 'Restart when condition is met ("none", "on-failure", "any")', set: (s, v) => (obj(tt(s), 'RestartPolicy').Condition = v) },
  { name: 'restart-delay', type: 'string', valueName: 'duration', description: 'Delay between restart attempts (ns|us|ms|s|m|h)', set: (s, v) => (obj(tt(s), 'RestartPolicy').Delay = ns(v)) },
  { name: 'restart-max-attempts', type: 'string', valueName: 'uint', description: 'Maximum number of restarts before giving up', set: (s, v) => (obj(tt(s), 'RestartPolicy').MaxAttempts = num(v)) },
  { name: 'restart-window', type: 'string', valueName: 'duration', description: 'Window used to evaluate the restart policy (ns|us|ms|s|m|h)', set: (s, v) => (obj(tt(s), 'RestartPolicy').Window = ns(v)) },
  ...rollout('UpdateConfig', 'update'),
  ...rollout('RollbackConfig', 'rollback'),
  { name: 'stop-grace-period', type: 'string', valueName: 'duration', description: 'Time to wait before force killing a container (ns|us|ms|s|m|h)', set: (s, v) => (cs(s).StopGracePeriod = ns(v)) },
  { name: 'stop-signal', type: 'string', description: 'Signal to stop the container', set: (s, v) => (cs(s).StopSignal = v) },
  { name: 'user', short: 'u', type: 'string', description: 'Username or UID (format: <name|uid>[:<group|gid>])', set: (s, v) => (cs(s).User = v) },
  { name: 'workdir', short: 'w', type: 'string', description: 'Working directory inside the container', set: (s, v) => (cs(s).Dir = v) },
  { name: 'hostname', type: 'string', description: 'Container hostname', set: (s, v) => (cs(s).Hostname = v) },
  { name: 'entrypoint', type: 'string', valueName: 'command', description: 'Overwrite the default ENTRYPOINT of the image', set: (s, v) => (cs(s).Command = v.split(/\s+/).filter(Boolean)) },
  { name: 'limit-cpu', type: 'string', valueName: 'decimal', description: 'Limit CPUs', set: (s, v) => (obj(obj(tt(s), 'Resources'), 'Limits').NanoCPUs = Math.round(num(v) * 1e9)) },
  { name: 'limit-memory', type: 'string', valueName: 'bytes', description: 'Limit Memory', set: (s, v) => (obj(obj(tt(s), 'Resources'), 'Limits').MemoryBytes = ramBytes(v)) },
  { name: 'limit-pids', type: 'string', valueName: 'int', description: 'Limit maximum number of processes (default 0 = unlimited)', set: (s, v) => (obj(obj(tt(s), 'Resources'), 'Limits').Pids = num(v)) },
  { name: 'reserve-cpu', type: 'string', valueName: 'decimal', description: 'Reserve CPUs', set: (s, v) => (obj(obj(tt(s), 'Resources'), 'Reservations').NanoCPUs = Math.round(num(v) * 1e9)) },
  { name: 'reserve-memory', type: 'string', valueName: 'bytes', description: 'Reserve Memory', set: (s, v) => (obj(obj(tt(s), 'Resources'), 'Reservations').MemoryBytes = ramBytes(v)) },
  { name: 'endpoint-mode', type: 'string', description: 'Endpoint mode (vip or dnsrr)', set: (s, v) => (obj(s, 'EndpointSpec').Mode = v) },
  { name: 'health-cmd', type: 'string', description: 'Command to run to check health', set: (s, v) => (obj(cs(s), 'Healthcheck').Test = ['CMD-SHELL', v]) },
  { name: 'health-interval', type: 'string', valueName: 'duration', description: 'Time between running the check (ms|s|m|h)', set: (s, v) => (obj(cs(s), 'Healthcheck').Interval = ns(v)) },
  { name: 'health-timeout', type: 'string', valueName: 'duration', description: 'Maximum time to allow one check to run (ms|s|m|h)', set: (s, v) => (obj(cs(s), 'Healthcheck').Timeout = ns(v)) },
  { name: 'health-retries', type: 'string', valueName: 'int', description: 'Consecutive failures needed to report unhealthy', set: (s, v) => (obj(cs(s), 'Healthcheck').Retries = num(v)) },
  { name: 'health-start-period', type: 'string', valueName: 'duration', description: 'Start period for the container to initialize before counting retries towards unstable (ms|s|m|h)', set: (s, v) => (obj(cs(s), 'Healthcheck').StartPeriod = ns(v)) },
  { name: 'no-healthcheck', type: 'bool', description: 'Disable any container-specified HEALTHCHECK', set: (s, v) => v === 'true' && (cs(s).Healthcheck = { Test: ['NONE'] }) },
  { name: 'init', type: 'bool', description: 'Use an init inside each service container to forward signals and reap processes', set: (s, v) => (cs(s).Init = v === 'true') },
  { name: 'read-only', type: 'bool', description: "Mount the container's root filesystem as read only", set: (s, v) => (cs(s).ReadOnly = v === 'true') },
  { name: 'tty', short: 't', type: 'bool', description: 'Allocate a pseudo-TTY', set: (s, v) => (cs(s).TTY = v === 'true') },
  { name: 'log-driver', type: 'string', description: 'Logging driver for service', set: (s, v) => (obj(tt(s), 'LogDriver').Name = v) },
];

/** Parses `-p 8080:80[/udp]` or `-p published=8080,target=80,protocol=tcp,mode=host`. */
export function parsePort(v: string): Doc {
  if (v.includes('=')) {
    const kv = Object.fromEntries(v.split(',').map((p) => p.split('=') as [string, string]));
    return { Protocol: kv.protocol ?? 'tcp', TargetPort: num(kv.target ?? ''), PublishedPort: kv.published ? num(kv.published) : undefined, PublishMode: kv.mode ?? 'ingress' };
  }
  const m = /^(?:(\d+):)?(\d+)(?:\/(tcp|udp|sctp))?$/.exec(v);
  if (!m) throw new ShoalError('invalid_argument', `invalid argument "${v}" for "-p, --publish" flag: use PUBLISHED:TARGET[/PROTOCOL]`);
  return { Protocol: m[3] ?? 'tcp', TargetPort: Number(m[2]), ...(m[1] ? { PublishedPort: Number(m[1]) } : {}), PublishMode: 'ingress' };
}

function parseMount(v: string): Doc {
  const kv = Object.fromEntries(v.split(',').map((p) => (p.includes('=') ? (p.split('=') as [string, string]) : [p, 'true'])));
  const m: Doc = { Type: kv.type ?? 'volume', Source: kv.source ?? kv.src, Target: kv.target ?? kv.dst ?? kv.destination };
  if (kv.readonly === 'true' || kv.readonly === '1' || kv.ro === 'true') m.ReadOnly = true;
  if (!m.Target) throw new ShoalError('invalid_argument', `invalid mount "${v}": target is required`);
  return m;
}

const keyOf = (kv: string) => (kv.includes('=') ? kv.slice(0, kv.indexOf('=')) : kv);
const kvMap = (list: string[], into: Record<string, string> = {}) => {
  for (const kv of list) into[keyOf(kv)] = kv.includes('=') ? kv.slice(kv.indexOf('=') + 1) : '';
  return into;
};

async function secretRefs(ctx: Context, kind: 'secrets' | 'configs', values: string[]): Promise<Doc[]> {
  const refs: Doc[] = [];
  for (const v of values) {
    const kv: Record<string, string> = v.includes('=') ? Object.fromEntries(v.split(',').map((p) => p.split('=') as [string, string])) : { source: v };
    const name = kv.source ?? kv.src ?? '';
    const found = (await ctx.client.get<Doc[]>(`/${kind}`, { filters: JSON.stringify({ name: { [name]: true } }) })).find((x) => x.Spec.Name === name || x.ID === name);
    if (!found) throw new ShoalError('not_found', `Error response from daemon: ${kind === 'secrets' ? 'secret' : 'config'} not found: ${name}`);
    const target = kv.target ?? name;
    const file = { Name: target, UID: kv.uid ?? '0', GID: kv.gid ?? '0', Mode: kv.mode ? parseInt(kv.mode, 8) : 0o444 };
    refs.push(kind === 'secrets' ? { File: file, SecretID: found.ID, SecretName: found.Spec.Name } : { File: file, ConfigID: found.ID, ConfigName: found.Spec.Name });
  }
  return refs;
}

async function networkRefs(ctx: Context, values: string[]): Promise<Doc[]> {
  const out: Doc[] = [];
  for (const v of values) {
    const kv: Record<string, string> = v.includes('=') ? Object.fromEntries(v.split(',').map((p) => p.split('=') as [string, string])) : { name: v };
    const net = await ctx.client.get<Doc>(`/networks/${encodeURIComponent(kv.name ?? kv.target ?? '')}`, { scope: 'swarm' });
    out.push({ Target: net.Id, ...(kv.alias ? { Aliases: [kv.alias] } : {}) });
  }
  return out;
}

/** Collections a service has: the create flag, and on update its -add and -rm forms. */
interface ListField {
  name: string;
  short?: string;
  description: string;
  /** Adds values (create, or update's -add). */
  add: (ctx: Context, spec: Doc, values: string[]) => unknown;
  /** Removes by key (update's -rm). */
  rm: (spec: Doc, values: string[]) => void;
}

const removeWhere = <T>(list: T[] | undefined, drop: (x: T) => boolean): T[] => (list ?? []).filter((x) => !drop(x));

const LIST_FIELDS: ListField[] = [
  { name: 'env', short: 'e', description: 'Set environment variables', add: (_c, s, vs) => (cs(s).Env = [...removeWhere<string>(cs(s).Env, (e) => vs.some((v) => keyOf(v) === keyOf(e))), ...vs]), rm: (s, vs) => (cs(s).Env = removeWhere<string>(cs(s).Env, (e) => vs.includes(keyOf(e)))) },
  { name: 'label', short: 'l', description: 'Service labels', add: (_c, s, vs) => void kvMap(vs, (s.Labels ??= {})), rm: (s, vs) => vs.forEach((k) => delete (s.Labels ?? {})[k]) },
  { name: 'container-label', description: 'Container labels', add: (_c, s, vs) => void kvMap(vs, (cs(s).Labels ??= {})), rm: (s, vs) => vs.forEach((k) => delete (cs(s).Labels ?? {})[k]) },
  { name: 'constraint', description: 'Placement constraints', add: (_c, s, vs) => (obj(tt(s), 'Placement').Constraints = [...(tt(s).Placement.Constraints ?? []), ...vs]), rm: (s, vs) => (obj(tt(s), 'Placement').Constraints = removeWhere<string>(tt(s).Placement.Constraints, (c) => vs.includes(c))) },
  { name: 'placement-pref', description: 'Add a placement preference', add: (_c, s, vs) => (obj(tt(s), 'Placement').Preferences = [...(tt(s).Placement.Preferences ?? []), ...vs.map((v) => ({ Spread: { SpreadDescriptor: v.replace(/^spread=/, '') } }))]), rm: (s, vs) => (obj(tt(s), 'Placement').Preferences = removeWhere<Doc>(tt(s).Placement.Preferences, (p) => vs.includes(`spread=${p.Spread?.SpreadDescriptor}`))) },
  { name: 'publish', short: 'p', description: 'Publish a port as a node port', add: (_c, s, vs) => (obj(s, 'EndpointSpec').Ports = [...(s.EndpointSpec.Ports ?? []), ...vs.map(parsePort)]), rm: (s, vs) => (obj(s, 'EndpointSpec').Ports = removeWhere<Doc>(s.EndpointSpec.Ports, (p) => vs.some((v) => String(p.TargetPort) === v.split('/')[0] || String(p.PublishedPort) === v.split(':')[0]?.split('/')[0]))) },
  { name: 'network', description: 'Network attachments', add: async (c, s, vs) => void (tt(s).Networks = [...(tt(s).Networks ?? []), ...(await networkRefs(c, vs))]), rm: () => undefined },
  { name: 'mount', description: 'Attach a filesystem mount to the service', add: (_c, s, vs) => (cs(s).Mounts = [...(cs(s).Mounts ?? []), ...vs.map(parseMount)]), rm: (s, vs) => (cs(s).Mounts = removeWhere<Doc>(cs(s).Mounts, (m) => vs.includes(m.Target))) },
  { name: 'secret', description: 'Specify secrets to expose to the service', add: async (c, s, vs) => void (cs(s).Secrets = [...(cs(s).Secrets ?? []), ...(await secretRefs(c, 'secrets', vs))]), rm: (s, vs) => (cs(s).Secrets = removeWhere<Doc>(cs(s).Secrets, (r) => vs.includes(r.SecretName) || vs.includes(r.SecretID))) },
  { name: 'config', description: 'Specify configurations to expose to the service', add: async (c, s, vs) => void (cs(s).Configs = [...(cs(s).Configs ?? []), ...(await secretRefs(c, 'configs', vs))]), rm: (s, vs) => (cs(s).Configs = removeWhere<Doc>(cs(s).Configs, (r) => vs.includes(r.ConfigName) || vs.includes(r.ConfigID))) },
  { name: 'cap-add', description: 'Add Linux capabilities', add: (_c, s, vs) => (cs(s).CapabilityAdd = [...(cs(s).CapabilityAdd ?? []), ...vs]), rm: (s, vs) => (cs(s).CapabilityAdd = removeWhere<string>(cs(s).CapabilityAdd, (c) => vs.includes(c))) },
  { name: 'cap-drop', description: 'Drop Linux capabilities', add: (_c, s, vs) => (cs(s).CapabilityDrop = [...(cs(s).CapabilityDrop ?? []), ...vs]), rm: (s, vs) => (cs(s).CapabilityDrop = removeWhere<string>(cs(s).CapabilityDrop, (c) => vs.includes(c))) },
  { name: 'log-opt', description: 'Logging driver options', add: (_c, s, vs) => void kvMap(vs, (obj(tt(s), 'LogDriver').Options ??= {})), rm: (s, vs) => vs.forEach((k) => delete (tt(s).LogDriver?.Options ?? {})[k]) },
];

/** `network-rm` resolves names, so it needs the daemon; the others are pure. */
async function removeNetworks(ctx: Context, spec: Doc, values: string[]): Promise<void> {
  const ids = (await networkRefs(ctx, values)).map((n) => n.Target);
  tt(spec).Networks = removeWhere<Doc>(tt(spec).Networks, (n) => ids.includes(n.Target) || values.includes(n.Target));
}

const listFlag = (name: string, description: string, short?: string): FlagSpec => ({ name, short, type: 'list', description });

export const CREATE_SPEC_FLAGS: FlagSpec[] = [...SCALAR_FLAGS, ...LIST_FIELDS.map((f) => listFlag(f.name, f.description, f.short))];
export const UPDATE_SPEC_FLAGS: FlagSpec[] = [
  ...SCALAR_FLAGS,
  ...LIST_FIELDS.flatMap((f) => [listFlag(`${f.name}-add`, `Add or update: ${f.description.toLowerCase()}`), listFlag(`${f.name}-rm`, `Remove: ${f.description.toLowerCase()}`)]),
];

/** Applies the given flags to `spec`: scalars that were given, then collections (create: `--x`; update: `--x-rm`, then `--x-add`). */
export async function applySpecFlags(ctx: Context, spec: Doc, flags: Flags, mode: 'create' | 'update'): Promise<void> {
  for (const f of SCALAR_FLAGS) if (flags.has(f.name)) f.set(spec, f.type === 'bool' ? String(flags.bool(f.name)) : flags.string(f.name)!);
  for (const f of LIST_FIELDS) {
    if (mode === 'create') {
      if (flags.list(f.name).length) await f.add(ctx, spec, flags.list(f.name));
      continue;
    }
    const rm = flags.list(`${f.name}-rm`);
    if (rm.length) await (f.name === 'network' ? removeNetworks(ctx, spec, rm) : f.rm(spec, rm));
    if (flags.list(`${f.name}-add`).length) await f.add(ctx, spec, flags.list(`${f.name}-add`));
  }
}
