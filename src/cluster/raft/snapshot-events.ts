import type { Tables } from '../store/tables.js';
import type { StoreEvent } from '../store/types.js';
import { TABLE_NAMES } from '../types.js';

/** The watch events that take a watcher from `before` to `after` (a snapshot replaced the state). */
export function snapshotEvents(before: Tables, after: Tables, index: number): StoreEvent[] {
  const events: StoreEvent[] = [];
  for (const table of TABLE_NAMES) {
    const old = before.table(table).rows;
    const now = after.table(table).rows;
    for (const [id, obj] of now) {
      const prev = old.get(id);
      if (!prev) events.push({ table, action: 'create', object: obj, index, fromSnapshot: true });
      else if (prev.Version.Index !== obj.Version.Index) events.push({ table, action: 'update', object: obj, old: prev, index, fromSnapshot: true });
    }
    for (const [id, prev] of old) if (!now.has(id)) events.push({ table, action: 'remove', object: prev, old: prev, index, fromSnapshot: true });
  }
  return events;
}
