import { newId } from '../../util/ids.js';
import type { ReadTx, WriteTx } from '../store/types.js';
import type { ServiceObject, ServiceSpec } from '../types.js';
import { checkVersion, rpcError } from './errors.js';
import { checkFilterNames, filterValues, matchesExact, matchesLabels, matchesPrefix, type Filters } from './filters.js';
import { randomServiceName } from './names.js';
import { byId, resolve } from './resolve.js';
import { normalizeServiceSpec, serviceModeName } from './service-spec.js';

export const SERVICE_FILTERS = ['id', 'label', 'mode', 'name', 'runtime'] as const;

/**
 * Creates a service from its spec; the orchestrator, allocator and scheduler take it from there.
 * `registryAuth` is the X-Registry-Auth header of `--with-registry-auth`.
 */
export function createService(tx: WriteTx, input: ServiceSpec, registryAuth = ''): ServiceObject {
  const spec = withRegistryAuth(normalizeServiceSpec(tx, { ...input, Name: input.Name || randomServiceName() }), registryAuth);
  if (tx.find('services', 'name', spec.Name).length > 0) {
    throw rpcError('AlreadyExists', `name conflicts with an existing object: service ${spec.Name} already exists`);
  }
  return tx.create('services', {
    ID: newId(),
    Version: { Index: 0 },
    CreatedAt: '',
    UpdatedAt: '',
    Spec: spec,
    SpecVersion: { Index: tx.index + 1 },
    Endpoint: { Spec: {} },
  });
}

export interface ServiceUpdateOptions {
  /** `rollback=previous`: go back to the previous spec (the body must still be a valid spec). */
  rollback: boolean;
  /** The time of the request, for the rollback's UpdateStatus. */
  now: string;
  /** X-Registry-Auth (`--with-registry-auth`); without it the credentials come from `registryAuthFrom`. */
  registryAuth?: string;
  registryAuthFrom?: 'spec' | 'previous-spec';
}

/** Replaces a service's spec, keeping the old one as PreviousSpec; `version` must be current. */
export function updateService(tx: WriteTx, ref: string, version: number, input: ServiceSpec, opts: ServiceUpdateOptions): ServiceObject {
  const current = resolve(tx, 'services', ref);
  const spec = normalizeServiceSpec(tx, input, current.ID);
  if (serviceModeName(current.Spec.Mode) !== serviceModeName(spec.Mode)) throw rpcError('Unimplemented', 'service mode change is not allowed');
  if (current.Spec.Name !== spec.Name) throw rpcError('Unimplemented', 'renaming services is not supported');
  checkVersion(current, version);
  const next: ServiceObject = structuredClone(current);
  if (opts.rollback) {
    if (!current.PreviousSpec) throw rpcError('FailedPrecondition', `service ${current.ID} does not have a previous spec`);
    next.Spec = structuredClone(current.PreviousSpec);
    next.PreviousSpec = structuredClone(current.Spec);
    next.UpdateStatus = { State: 'rollback_started', StartedAt: opts.now, Message: 'manually requested rollback' };
  } else {
    next.PreviousSpec = structuredClone(current.Spec);
    next.Spec = withRegistryAuth(spec, opts.registryAuth || keptRegistryAuth(current, opts.registryAuthFrom ?? 'spec'));
    delete next.UpdateStatus;
  }
  next.SpecVersion = { Index: tx.index + 1 };
  return tx.update('services', next);
}

/**
 * The spec with the registry credentials in its ContainerSpec's PullOptions, as Docker keeps them:
 * copied into every task, so only the node running one receives them (the store itself is
 * encrypted at rest), and never shown by the API.
 */
function withRegistryAuth(spec: ServiceSpec, registryAuth: string): ServiceSpec {
  const container = spec.TaskTemplate.ContainerSpec;
  if (!container) return spec;
  const { PullOptions: _dropped, ...rest } = container;
  return { ...spec, TaskTemplate: { ...spec.TaskTemplate, ContainerSpec: registryAuth ? { ...rest, PullOptions: { RegistryAuth: registryAuth } } : rest } };
}

/** The credentials an update without X-Registry-Auth keeps: the current spec's, or the previous spec's (`registryAuthFrom`). */
function keptRegistryAuth(current: ServiceObject, from: 'spec' | 'previous-spec'): string {
  if (from === 'spec') return current.Spec.TaskTemplate.ContainerSpec?.PullOptions?.RegistryAuth ?? '';
  if (!current.PreviousSpec) throw rpcError('FailedPrecondition', `service ${current.ID} does not have a previous spec`);
  return current.PreviousSpec.TaskTemplate.ContainerSpec?.PullOptions?.RegistryAuth ?? '';
}

/** Removes a service; the orchestrator shuts its tasks down when it sees the removal. */
export function removeService(tx: WriteTx, ref: string): ServiceObject {
  const service = resolve(tx, 'services', ref);
  tx.remove('services', service.ID);
  return service;
}

/** Services matching Docker's service filters: id and name by prefix, label, mode, runtime. */
export function listServices(tx: ReadTx, filters: Filters): ServiceObject[] {
  checkFilterNames(filters, SERVICE_FILTERS);
  return tx
    .list('services')
    .filter(
      (s) =>
        matchesPrefix(s.ID, filterValues(filters, 'id')) &&
        matchesPrefix(s.Spec.Name, filterValues(filters, 'name')) &&
        matchesLabels(s.Spec.Labels, filterValues(filters, 'label')) &&
        matchesExact(serviceModeName(s.Spec.Mode), filterValues(filters, 'mode')) &&
        matchesExact(s.Spec.TaskTemplate.Runtime || 'container', filterValues(filters, 'runtime')),
    )
    .sort(byId);
}
