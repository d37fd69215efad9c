import { TABLE_NAMES, type TableName, type TableTypes } from '../types.js';
import { INDEX_KEYS } from './indexes.js';

type AnyObject = TableTypes[TableName];

/** One table: objects by ID plus its secondary indexes (key → set of IDs). */
class Table {
  readonly rows = new Map<string, AnyObject>();
  private readonly indexes = new Map<string, Map<string, Set<string>>>();

  constructor(private readonly keyFns: Record<string, (o: AnyObject) => string | undefined>) {
    for (const name of Object.keys(keyFns)) this.indexes.set(name, new Map());
  }

  put(obj: AnyObject): void {
    const old = this.rows.get(obj.ID);
    if (old) this.unindex(old);
    this.rows.set(obj.ID, obj);
    for (const [name, fn] of Object.entries(this.keyFns)) {
      const key = fn(obj);
      if (key === undefined) continue;
      const idx = this.indexes.get(name)!;
      let ids = idx.get(key);
      if (!ids) idx.set(key, (ids = new Set()));
      ids.add(obj.ID);
    }
  }

  delete(id: string): void {
    const old = this.rows.get(id);
    if (!old) return;
    this.unindex(old);
    this.rows.delete(id);
  }

  find(index: string, value: string): AnyObject[] {
    const idx = this.indexes.get(index);
    if (!idx) throw new Error(`no index ${index}`);
    const ids = idx.get(value);
    return ids ? [...ids].map((id) => this.rows.get(id)!) : [];
  }

  private unindex(obj: AnyObject): void {
    for (const [name, fn] of Object.entries(this.keyFns)) {
      const key = fn(obj);
      if (key === undefined) continue;
      const idx = this.indexes.get(name)!;
      const ids = idx.get(key);
      ids?.delete(obj.ID);
      if (ids?.size === 0) idx.delete(key);
    }
  }
}

/** All tables of the store. Objects in here are frozen: readers get them without copying. */
export class Tables {
  private readonly tables = new Map<TableName, Table>();

  constructor() {
    for (const name of TABLE_NAMES) {
      this.tables.set(name, new Table(INDEX_KEYS[name] as Record<string, (o: AnyObject) => string | undefined>));
    }
  }

  table(name: TableName): Table {
    const t = this.tables.get(name);
    if (!t) throw new Error(`unknown table ${name}`);
    return t;
  }

  /** Every object of every table, for snapshots. */
  dump(): Record<TableName, AnyObject[]> {
    const out = {} as Record<TableName, AnyObject[]>;
    for (const [name, t] of this.tables) out[name] = [...t.rows.values()];
    return out;
  }

  load(dump: Partial<Record<TableName, AnyObject[]>>): void {
    for (const name of TABLE_NAMES) for (const obj of dump[name] ?? []) this.table(name).put(deepFreeze(obj));
  }
}

export function deepFreeze<T>(obj: T): T {
  if (obj && typeof obj === 'object' && !Object.isFrozen(obj)) {
    Object.freeze(obj);
    for (const v of Object.values(obj)) deepFreeze(v);
  }
  return obj;
}
