import { invalidArgument } from '../../util/errors.js';
import type { ReadTx, WriteTx } from '../store/types.js';
import type { NodeObject, NodeSpec } from '../types.js';
import { checkVersion, rpcError } from './errors.js';
import { checkFilterNames, filterValues, matchesExact, matchesLabels, matchesPrefix, type Filters } from './filters.js';
import { byId, objectName, resolve } from './resolve.js';

export const NODE_FILTERS = ['id', 'label', 'membership', 'name', 'node.label', 'role'] as const;
const ROLES = ['worker', 'manager'];
const AVAILABILITIES = ['active', 'pause', 'drain'];
const MEMBERSHIPS = ['accepted', 'pending'];

const isManager = (n: NodeObject): boolean => n.Spec.Role === 'manager' || n.ManagerStatus !== undefined;

/**
 * Sets a node's availability, role, labels and name; demoting the last manager is refused.
 * The `version` guards the spec only: a node's status and manager status change on their own
 * (heartbeats, a new leader), and an update read before such a change is still accepted as long
 * as nobody changed the spec since. Swarm refuses it, and `docker node promote` right after a
 * join then fails with "update out of sequence".
 */
export function updateNode(tx: WriteTx, ref: string, version: number, spec: NodeSpec): NodeObject {
  const node = resolve(tx, 'nodes', ref);
  if (!ROLES.includes(spec.Role)) throw invalidArgument(`invalid Role: "${spec.Role ?? ''}"`);
  if (!AVAILABILITIES.includes(spec.Availability)) throw invalidArgument(`invalid Availability: "${spec.Availability ?? ''}"`);
  const specChangedAt = node.SpecVersion?.Index ?? 0;
  if (version < specChangedAt || version > node.Version.Index) checkVersion(node, version);
  if (node.Spec.Role === 'manager' && spec.Role === 'worker') {
    const managers = tx.list('nodes').filter((n) => n.Spec.Role === 'manager');
    if (managers.length <= 1) throw rpcError('FailedPrecondition', 'attempting to demote the last manager of the swarm');
  }
  const next: NodeObject = structuredClone(node);
  next.Spec = { ...spec, Labels: spec.Labels ?? {} };
  if (!spec.Name) delete next.Spec.Name;
  next.SpecVersion = { Index: tx.index + 1 };
  return tx.update('nodes', next);
}

/** Removes a node: never a manager, and a node that is up only with `force`. */
export function removeNode(tx: WriteTx, ref: string, force: boolean): NodeObject {
  const node = resolve(tx, 'nodes', ref);
  if (isManager(node)) {
    throw rpcError(
      'FailedPrecondition',
      `node ${node.ID} is a cluster manager and is a member of the raft cluster. It must be demoted to worker before removal`,
    );
  }
  if (!force && node.Status.State === 'ready') throw rpcError('FailedPrecondition', `node ${node.ID} is not down and can't be removed`);
  tx.remove('nodes', node.ID);
  return node;
}

/** Nodes matching Docker's node filters (`label` is an engine label, `node.label` a node label). */
export function listNodes(tx: ReadTx, filters: Filters): NodeObject[] {
  checkFilterNames(filters, NODE_FILTERS);
  const roles = filterValues(filters, 'role').filter((r) => r !== '');
  for (const r of roles) if (!ROLES.includes(r.toLowerCase())) throw invalidArgument(`Invalid role filter: '${r}'`);
  const memberships = filterValues(filters, 'membership').filter((m) => m !== '');
  for (const m of memberships) if (!MEMBERSHIPS.includes(m.toLowerCase())) throw invalidArgument(`Invalid membership filter: '${m}'`);
  // Every node in the store has been accepted into the swarm.
  if (memberships.length > 0 && !memberships.some((m) => m.toLowerCase() === 'accepted')) return [];
  return tx
    .list('nodes')
    .filter(
      (n) =>
        matchesPrefix(n.ID, filterValues(filters, 'id')) &&
        matchesPrefix(objectName('nodes', n), filterValues(filters, 'name')) &&
        matchesLabels(n.Description?.Engine?.Labels, filterValues(filters, 'label')) &&
        matchesLabels(n.Spec.Labels, filterValues(filters, 'node.label')) &&
        matchesExact(n.Spec.Role, roles.map((r) => r.toLowerCase())),
    )
    .sort(byId);
}
