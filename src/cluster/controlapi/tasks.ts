import { isDeepStrictEqual } from 'node:util';
import { invalidArgument } from '../../util/errors.js';
import type { ReadTx } from '../store/types.js';
import { TASK_STATES, type ServiceObject, type TaskObject, type TaskSpec, type TaskState } from '../types.js';
import { checkFilterNames, filterValues, matchesExact, matchesLabels, matchesPrefix, type Filters } from './filters.js';
import { byId, resolve } from './resolve.js';

/** `_up-to-date` is the CLI's internal filter for convergence progress (not in Docker's docs). */
export const TASK_FILTERS = ['name', 'id', 'label', 'service', 'node', 'desired-state', '_up-to-date', 'runtime'] as const;

/** A task's name as Docker shows it: `<service>.<slot>.<task id>`, or the node ID for global tasks. */
export function taskName(task: TaskObject, service: ServiceObject | undefined): string {
  if (task.Name) return task.Name;
  const slot = task.Slot ? String(task.Slot) : (task.NodeID ?? '');
  return `${service?.Spec.Name ?? ''}.${slot}.${task.ID}`;
}

/**
 * Whether a task was made from its service's current spec (swarmkit's "not dirty"): same spec
 * version, or an identical task spec (an update that only changed, say, UpdateConfig).
 */
export function isTaskUpToDate(task: TaskObject, service: ServiceObject): boolean {
  if (task.SpecVersion && service.SpecVersion && task.SpecVersion.Index === service.SpecVersion.Index) return true;
  return isDeepStrictEqual(withoutRuntime(task.Spec), withoutRuntime(service.Spec.TaskTemplate));
}

/**
 * Tasks matching Docker's task filters. `service` and `node` take names, IDs or ID prefixes
 * (an unknown one is a 404, as in Docker); `label` matches the service's labels and the task's.
 */
export function listTasks(tx: ReadTx, filters: Filters): TaskObject[] {
  checkFilterNames(filters, TASK_FILTERS);
  const serviceIds = filterValues(filters, 'service').map((s) => resolve(tx, 'services', s).ID);
  const nodeIds = filterValues(filters, 'node').map((n) => resolve(tx, 'nodes', n).ID);
  const desired = filterValues(filters, 'desired-state').map(parseDesiredState);
  const upToDate = filters.has('_up-to-date');
  const candidates = serviceIds.length > 0 ? serviceIds.flatMap((id) => tx.find('tasks', 'service', id)) : tx.list('tasks');
  return candidates
    .filter((t) => {
      const service = tx.get('services', t.ServiceID);
      return (
        matchesExact(t.ServiceID, serviceIds) &&
        matchesExact(t.NodeID, nodeIds) &&
        (desired.length === 0 || desired.includes(t.DesiredState)) &&
        matchesPrefix(t.ID, filterValues(filters, 'id')) &&
        matchesPrefix(taskName(t, service), filterValues(filters, 'name')) &&
        matchesLabels({ ...service?.Spec.Labels, ...t.Labels }, filterValues(filters, 'label')) &&
        matchesExact(t.Spec.Runtime || 'container', filterValues(filters, 'runtime')) &&
        (!upToDate || (service !== undefined && isTaskUpToDate(t, service)))
      );
    })
    .sort(byId);
}

function parseDesiredState(value: string): TaskState {
  const state = value.toLowerCase() as TaskState;
  if (!TASK_STATES.includes(state)) throw invalidArgument(`Invalid desired-state filter: '${value}'`);
  return state;
}

function withoutRuntime(spec: TaskSpec): TaskSpec {
  const { Runtime: _runtime, ...rest } = spec;
  return rest;
}
