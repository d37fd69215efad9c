import type { Logger } from '../../util/logger.js';
import type { Change } from './journal.js';
import { deepFreeze, type Tables } from './tables.js';
import type { StoreEvent } from './types.js';

/** Applies a committed transaction's changes to the tables; returns the watch events they make. */
export function applyChanges(tables: Tables, changes: readonly Change[], index: number): StoreEvent[] {
  const events: StoreEvent[] = [];
  for (const c of changes) {
    const table = tables.table(c.table);
    const old = table.rows.get(c.object.ID);
    if (c.action === 'remove') {
      table.delete(c.object.ID);
      events.push({ table: c.table, action: 'remove', object: old ?? c.object, old, index });
    } else {
      const obj = deepFreeze(c.object);
      table.put(obj);
      events.push({ table: c.table, action: c.action, object: obj, old, index });
    }
  }
  return events;
}

/** Calls every watcher with one commit's events; a failing watcher is logged and does not stop the others. */
export function notifyWatchers(listeners: Iterable<(events: StoreEvent[]) => void>, events: StoreEvent[], log: Logger): void {
  for (const l of listeners) {
    try {
      l(events);
    } catch (err) {
      log.error({ err }, 'store watcher failed');
    }
  }
}
