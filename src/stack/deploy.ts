import type { EndpointSpec, Labels, Placement, RestartPolicy, ServiceMode, TaskSpec, UpdateConfig } from '../cluster/types.js';
import type { Field } from './field.js';
import { bytes, duration, nanoCpus } from './units.js';

export const DEPLOY_KEYS = ['mode', 'replicas', 'labels', 'placement', 'resources', 'update_config', 'rollback_config', 'restart_policy', 'endpoint_mode'] as const;

export interface DeployParts {
  mode: ServiceMode;
  labels: Labels;
  placement: Placement;
  resources: NonNullable<TaskSpec['Resources']>;
  restartPolicy?: RestartPolicy;
  updateConfig?: UpdateConfig;
  rollbackConfig?: UpdateConfig;
  endpointMode?: EndpointSpec['Mode'];
}

function mode(deploy: Field | undefined): ServiceMode {
  const name = deploy?.get('mode')?.oneOf(['replicated', 'global', 'replicated-job', 'global-job'] as const) ?? 'replicated';
  const replicasField = deploy?.get('replicas');
  const replicas = replicasField?.int(0);
  if (replicasField && (name === 'global' || name === 'global-job')) replicasField.fail(`replicas can only be used with mode replicated or replicated-job, not ${name}`);
  switch (name) {
    case 'global':
      return { Global: {} };
    case 'global-job':
      return { GlobalJob: {} };
    case 'replicated-job':
      return { ReplicatedJob: { MaxConcurrent: replicas ?? 1, TotalCompletions: replicas ?? 1 } };
    default:
      return { Replicated: { Replicas: replicas ?? 1 } };
  }
}

function placement(f: Field | undefined): Placement {
  if (!f) return {};
  f.checkKeys(['constraints', 'preferences', 'max_replicas_per_node']);
  const out: Placement = {};
  const constraints = f.get('constraints')?.items().map((c) => c.string());
  if (constraints) out.Constraints = constraints;
  const prefs = f.get('preferences')?.items().map((p) => {
    p.checkKeys(['spread']);
    return { Spread: { SpreadDescriptor: (p.get('spread') ?? p.fail('a placement preference needs "spread: <node attribute>"')).string() } };
  });
  if (prefs) out.Preferences = prefs;
  const max = f.get('max_replicas_per_node')?.int(0);
  if (max !== undefined) out.MaxReplicas = max;
  return out;
}

function resources(f: Field | undefined): DeployParts['resources'] {
  const out: DeployParts['resources'] = {};
  if (!f) return out;
  f.checkKeys(['limits', 'reservations']);
  const limits = f.get('limits');
  if (limits) {
    limits.checkKeys(['cpus', 'memory', 'pids']);
    out.Limits = {};
    if (limits.get('cpus')) out.Limits.NanoCPUs = nanoCpus(limits.get('cpus')!);
    if (limits.get('memory')) out.Limits.MemoryBytes = bytes(limits.get('memory')!);
    if (limits.get('pids')) out.Limits.Pids = limits.get('pids')!.int(0);
  }
  const reservations = f.get('reservations');
  if (reservations) {
    reservations.checkKeys(['cpus', 'memory']);
    out.Reservations = {};
    if (reservations.get('cpus')) out.Reservations.NanoCPUs = nanoCpus(reservations.get('cpus')!);
    if (reservations.get('memory')) out.Reservations.MemoryBytes = bytes(reservations.get('memory')!);
  }
  return out;
}

/** update_config / rollback_config, with Docker's default parallelism of 1. */
function updateConfig(f: Field | undefined): UpdateConfig | undefined {
  if (!f) return undefined;
  f.checkKeys(['parallelism', 'delay', 'failure_action', 'monitor', 'max_failure_ratio', 'order']);
  const out: UpdateConfig = { Parallelism: f.get('parallelism')?.int(0) ?? 1 };
  if (f.get('delay')) out.Delay = duration(f.get('delay')!);
  if (f.get('failure_action')) out.FailureAction = f.get('failure_action')!.oneOf(['continue', 'pause', 'rollback'] as const);
  if (f.get('monitor')) out.Monitor = duration(f.get('monitor')!);
  if (f.get('max_failure_ratio')) out.MaxFailureRatio = f.get('max_failure_ratio')!.number();
  if (f.get('order')) out.Order = f.get('order')!.oneOf(['start-first', 'stop-first'] as const);
  return out;
}

/** deploy.restart_policy, else the service's `restart:` as Docker maps it. */
function restartPolicy(f: Field | undefined, restart: Field | undefined): RestartPolicy | undefined {
  if (f) {
    f.checkKeys(['condition', 'delay', 'max_attempts', 'window']);
    const out: RestartPolicy = {};
    if (f.get('condition')) out.Condition = f.get('condition')!.oneOf(['none', 'on-failure', 'any'] as const);
    if (f.get('delay')) out.Delay = duration(f.get('delay')!);
    if (f.get('max_attempts')) out.MaxAttempts = f.get('max_attempts')!.int(0);
    if (f.get('window')) out.Window = duration(f.get('window')!);
    return out;
  }
  if (!restart) return undefined;
  const m = /^(no|always|unless-stopped|on-failure)(?::(\d+))?$/.exec(restart.string());
  if (!m) return restart.fail(`unknown restart policy "${restart.string()}": use no, always, unless-stopped or on-failure[:N]`);
  if (m[1] === 'no') return undefined;
  if (m[1] === 'on-failure') return { Condition: 'on-failure', MaxAttempts: Number(m[2] ?? 0) };
  return { Condition: 'any' };
}

/** The `deploy:` section of a service (and its `restart:`). */
export function convertDeploy(deploy: Field | undefined, restart: Field | undefined): DeployParts {
  deploy?.checkKeys(DEPLOY_KEYS);
  return {
    mode: mode(deploy),
    labels: deploy?.get('labels')?.stringMap() ?? {},
    placement: placement(deploy?.get('placement')),
    resources: resources(deploy?.get('resources')),
    restartPolicy: restartPolicy(deploy?.get('restart_policy'), restart),
    updateConfig: updateConfig(deploy?.get('update_config')),
    rollbackConfig: updateConfig(deploy?.get('rollback_config')),
    endpointMode: deploy?.get('endpoint_mode')?.oneOf(['vip', 'dnsrr'] as const),
  };
}
