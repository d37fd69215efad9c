import { invalidArgument, notFound } from '../../util/errors.js';
import type { ReadTx } from '../store/types.js';
import type { TableTypes } from '../types.js';

/** The tables whose objects the API finds by ID, unique ID prefix or name. */
export type ResolvableTable = 'services' | 'nodes' | 'networks' | 'secrets' | 'configs' | 'tasks';

const KIND: Record<ResolvableTable, string> = {
  services: 'service',
  nodes: 'node',
  networks: 'network',
  secrets: 'secret',
  configs: 'config',
  tasks: 'task',
};

/** The name an object is found by: a node by its spec name, else its hostname. Tasks have none. */
export function objectName<T extends ResolvableTable>(table: T, obj: TableTypes[T]): string | undefined {
  if (table === 'tasks') return undefined;
  if (table === 'nodes') {
    const node = obj as TableTypes['nodes'];
    return node.Spec.Name || node.Description?.Hostname;
  }
  return (obj as { Spec: { Name: string } }).Spec.Name;
}

/**
 * Finds an object the way Docker's daemon does: by full ID, then by exact name, then by unique
 * ID prefix. Unknown → 404 `<kind> <input> not found`; more than one match → 400 ambiguous.
 */
export function resolve<T extends ResolvableTable>(tx: ReadTx, table: T, input: string): TableTypes[T] {
  const kind = KIND[table];
  const byId = input === '' ? undefined : tx.get(table, input);
  if (byId) return byId;
  const all = tx.list(table);
  const named = table === 'tasks' ? [] : all.filter((o) => objectName(table, o) === input);
  if (named.length === 1) return named[0]!;
  if (named.length > 1) {
    throw invalidArgument(`${kind} ${input} is ambiguous (${named.length} matches found${table === 'networks' ? ' on name' : ''})`);
  }
  const prefixed = input === '' ? [] : all.filter((o) => o.ID.startsWith(input));
  if (prefixed.length === 1) return prefixed[0]!;
  if (prefixed.length > 1) {
    throw invalidArgument(`${kind} ${input} is ambiguous (${prefixed.length} matches found${table === 'networks' ? ' based on ID prefix' : ''})`);
  }
  throw notFound(`${kind} ${input} not found`);
}

/** Docker lists objects in the order of their IDs (swarmkit's store iterates its ID index). */
export const byId = (a: { ID: string }, b: { ID: string }): number => (a.ID < b.ID ? -1 : a.ID > b.ID ? 1 : 0);
