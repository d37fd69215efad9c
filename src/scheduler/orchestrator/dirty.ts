import type { NodeObject, ServiceObject, TaskObject } from '../../cluster/types.js';
import { nodeMatches, parseConstraints } from '../constraints.js';

/**
 * Whether a task must be replaced to match its service's current spec (swarmkit's
 * IsTaskDirty): its task spec differs from the service's TaskTemplate (ForceUpdate counts).
 * A task made from the current SpecVersion is never dirty, and a change of placement
 * constraints alone leaves alone a task whose node still satisfies them. Changes outside the
 * TaskTemplate (Replicas, UpdateConfig, labels) never make a task dirty.
 */
export function isTaskDirty(service: ServiceObject, task: TaskObject, node?: NodeObject): boolean {
  if (task.SpecVersion && service.SpecVersion && task.SpecVersion.Index === service.SpecVersion.Index) return false;
  const wanted = service.Spec.TaskTemplate;
  if (sameValue(wanted, task.Spec)) return false;
  if (!node) return true;
  const wantedPlacement = { ...wanted.Placement, Constraints: task.Spec.Placement?.Constraints };
  return !(sameValue({ ...wanted, Placement: wantedPlacement }, task.Spec) && nodeMatches(parseConstraints(wanted.Placement?.Constraints), node));
}

/** Deep equality of JSON-like values, where a key set to undefined counts as absent (as after a store reload). */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) return a.length === (b as unknown[]).length && a.every((v, i) => sameValue(v, (b as unknown[])[i]));
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const keys = new Set([...Object.keys(ra), ...Object.keys(rb)]);
  for (const k of keys) if (!sameValue(ra[k], rb[k])) return false;
  return true;
}
