import { RecordSet } from './record-set.js';

/** What kind of name a query asked for: the unit metrics are kept per. */
export type NameClass = 'service' | 'tasks' | 'task' | 'ptr' | 'forwarded';
export const NAME_CLASSES: readonly NameClass[] = ['service', 'tasks', 'task', 'ptr', 'forwarded'];

/** A name an asker can see, with its answers per type (every other type has none: NODATA). */
export interface NameEntry {
  readonly nameClass: NameClass;
  readonly a: RecordSet;
  readonly ptr: RecordSet;
}

export const forwardEntry = (nameClass: NameClass, a: RecordSet): NameEntry => ({ nameClass, a, ptr: RecordSet.EMPTY });
export const reverseEntry = (ptr: RecordSet): NameEntry => ({ nameClass: 'ptr', a: RecordSet.EMPTY, ptr });
