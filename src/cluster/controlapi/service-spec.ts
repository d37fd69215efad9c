import { invalidArgument } from '../../util/errors.js';
import type { ReadTx } from '../store/types.js';
import type { ServiceMode, ServiceSpec, UpdateConfig } from '../types.js';
import { AFFINITY_LABEL } from '../endpoints/affinity.js';
import { portLabelError } from '../endpoints/port-labels.js';
import { PROXY_PROTOCOL_LABEL } from '../endpoints/proxy-protocol.js';
import { checkPortConflicts, checkReservedPorts, normalizeEndpointSpec } from './endpoint-spec.js';
import { rpcError } from './errors.js';
import { findIngressNetwork, needsIngress } from './ingress.js';
import { validateDnsName } from './names.js';
import { normalizeTaskSpec, resolveNetworkAttachments } from './task-spec.js';

const MODE_KEYS = ['Replicated', 'Global', 'ReplicatedJob', 'GlobalJob'] as const;

/**
 * Validates a service spec with Docker's rules and returns it as Docker stores it. `serviceId`
 * is the service being updated, whose own published ports do not conflict with themselves.
 */
export function normalizeServiceSpec(tx: ReadTx, input: ServiceSpec, serviceId?: string): ServiceSpec {
  validateDnsName(input.Name ?? '');
  const spec: ServiceSpec = {
    ...input,
    Labels: input.Labels ?? {},
    TaskTemplate: normalizeTaskSpec(tx, input.TaskTemplate ?? {}),
    Mode: normalizeMode(input.Mode),
  };
  if (input.UpdateConfig) spec.UpdateConfig = normalizeUpdateConfig(input.UpdateConfig);
  if (input.RollbackConfig) spec.RollbackConfig = normalizeUpdateConfig(input.RollbackConfig);
  if (input.Networks) spec.Networks = resolveNetworkAttachments(tx, input.Networks);
  if (input.EndpointSpec) spec.EndpointSpec = normalizeEndpointSpec(input.EndpointSpec);
  checkReservedPorts(tx, spec.EndpointSpec);
  checkPortConflicts(tx, spec.EndpointSpec, serviceId);
  const ports = (spec.EndpointSpec?.Ports ?? []).map((p) => ({ protocol: p.Protocol ?? 'tcp', publishedPort: p.PublishedPort ?? 0 }));
  for (const label of [PROXY_PROTOCOL_LABEL, AFFINITY_LABEL]) {
    const labelError = portLabelError(label, spec.Labels, ports);
    if (labelError) throw rpcError('InvalidArgument', labelError);
  }
  if (needsIngress(spec.EndpointSpec) && !findIngressNetwork(tx)) {
    throw rpcError('FailedPrecondition', 'service needs ingress network, but no ingress network is present');
  }
  return spec;
}

/** `replicated`, `global`, `replicated-job` or `global-job`, as the `mode` filter names them. */
export function serviceModeName(mode: ServiceMode): string {
  if (mode.Global) return 'global';
  if (mode.ReplicatedJob) return 'replicated-job';
  if (mode.GlobalJob) return 'global-job';
  return 'replicated';
}

function normalizeMode(mode: ServiceMode | undefined): ServiceMode {
  const given = MODE_KEYS.filter((k) => mode?.[k] !== undefined && mode?.[k] !== null);
  if (given.length > 1) throw invalidArgument('must specify only one service mode');
  switch (given[0]) {
    case 'Global':
      return { Global: {} };
    case 'GlobalJob':
      return { GlobalJob: {} };
    case 'ReplicatedJob': {
      const maxConcurrent = mode!.ReplicatedJob!.MaxConcurrent || 1;
      return { ReplicatedJob: { MaxConcurrent: maxConcurrent, TotalCompletions: mode!.ReplicatedJob!.TotalCompletions || maxConcurrent } };
    }
    default: {
      // `"Mode": {"Replicated": {}}` (what the CLI sends without --replicas) means one replica.
      const replicas = mode?.Replicated?.Replicas ?? 1;
      if (!Number.isInteger(replicas) || replicas < 0) throw rpcError('InvalidArgument', 'Number of replicas must be non-negative');
      return { Replicated: { Replicas: replicas } };
    }
  }
}

/** Update and rollback configs, with swarmkit's defaults for the fields the API always shows. */
function normalizeUpdateConfig(u: UpdateConfig): UpdateConfig {
  const failureAction = u.FailureAction || 'pause';
  if (!['pause', 'continue', 'rollback'].includes(failureAction)) throw invalidArgument(`unrecognized update failure action ${failureAction}`);
  const order = u.Order || 'stop-first';
  if (!['stop-first', 'start-first'].includes(order)) throw invalidArgument(`unrecognized update order ${order}`);
  if ((u.Delay ?? 0) < 0) throw rpcError('InvalidArgument', 'TaskSpec: update-delay cannot be negative');
  if ((u.Monitor ?? 0) < 0) throw rpcError('InvalidArgument', 'TaskSpec: update-monitor cannot be negative');
  const ratio = u.MaxFailureRatio ?? 0;
  if (ratio < 0 || ratio > 1) throw rpcError('InvalidArgument', 'TaskSpec: update-maxfailureratio cannot be less than 0 or bigger than 1');
  return { ...u, Parallelism: u.Parallelism ?? 0, FailureAction: failureAction, MaxFailureRatio: ratio, Order: order };
}
