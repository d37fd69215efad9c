import type { TableName, TableTypes } from '../types.js';
import type { TableIndexes } from './types.js';

type KeyFn<T extends TableName> = (o: TableTypes[T]) => string | undefined;

/** How each secondary index derives its key from an object. */
export const INDEX_KEYS: { [T in TableName]: Record<TableIndexes[T], KeyFn<T>> } = {
  cluster: {} as Record<never, KeyFn<'cluster'>>,
  nodes: {
    name: (n) => n.Description?.Hostname,
    role: (n) => n.Spec.Role,
  },
  services: { name: (s) => s.Spec.Name },
  tasks: {
    service: (t) => t.ServiceID,
    node: (t) => t.NodeID || undefined,
    // Global tasks have no slot: they are keyed by their node instead.
    slot: (t) => (t.Slot !== undefined && t.Slot > 0 ? `${t.ServiceID}/${t.Slot}` : t.NodeID ? `${t.ServiceID}/@${t.NodeID}` : undefined),
    desired: (t) => t.DesiredState,
    // What the endpoint table is derived from: only running tasks can serve or drain.
    state: (t) => t.Status.State,
  },
  networks: { name: (n) => n.Spec.Name },
  secrets: { name: (s) => s.Spec.Name },
  configs: { name: (c) => c.Spec.Name },
};

/** The key of a replicated task's slot, or a global task's node, for `find('tasks', 'slot', ...)`. */
export const slotKey = (serviceId: string, slotOrNode: number | string): string =>
  typeof slotOrNode === 'number' ? `${serviceId}/${slotOrNode}` : `${serviceId}/@${slotOrNode}`;

/** The key `obj` has in one of its table's secondary indexes. */
export function indexKey(table: TableName, index: string, obj: TableTypes[TableName]): string | undefined {
  return (INDEX_KEYS[table] as Record<string, (o: TableTypes[TableName]) => string | undefined>)[index]?.(obj);
}
