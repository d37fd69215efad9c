import { conflict, notFound, ShoalError } from '../../util/errors.js';
import type { TableName, TableTypes } from '../types.js';
import { indexKey } from './indexes.js';
import type { Change } from './journal.js';
import type { TableIndexes, WriteTx } from './types.js';

type AnyObject = TableTypes[TableName];

/** The committed state a transaction reads from: the tables themselves, or (Raft leader) tables plus proposed writes. */
export interface StateReader {
  get(table: TableName, id: string): AnyObject | undefined;
  list(table: TableName): AnyObject[];
  find(table: TableName, index: string, value: string): AnyObject[];
}

/**
 * A read (and, inside update, write) transaction: writes are kept aside until commit. It also
 * records what it read from the committed state (`observed`, `scanned`), so a replicated store
 * can check at commit that nothing it decided on has changed since.
 */
export class Transaction implements WriteTx {
  private readonly pending = new Map<TableName, Map<string, { action: Change['action']; object: AnyObject }>>();
  /** Objects read by ID: table → ID → version read (0: absent). */
  readonly observed = new Map<TableName, Map<string, number>>();
  /** Tables listed or searched. */
  readonly scanned = new Set<TableName>();

  constructor(
    private readonly state: StateReader,
    readonly index: number,
    private readonly now: () => string,
  ) {}

  get<T extends TableName>(table: T, id: string): TableTypes[T] | undefined {
    const p = this.pending.get(table)?.get(id);
    if (p) return p.action === 'remove' ? undefined : (p.object as TableTypes[T]);
    const obj = this.state.get(table, id);
    let seen = this.observed.get(table);
    if (!seen) this.observed.set(table, (seen = new Map()));
    if (!seen.has(id)) seen.set(id, obj?.Version.Index ?? 0);
    return obj as TableTypes[T] | undefined;
  }

  list<T extends TableName>(table: T): TableTypes[T][] {
    this.scanned.add(table);
    const base = this.state.list(table);
    const p = this.pending.get(table);
    if (!p) return base as TableTypes[T][];
    const out = base.filter((o) => !p.has(o.ID));
    for (const w of p.values()) if (w.action !== 'remove') out.push(w.object);
    return out as TableTypes[T][];
  }

  find<T extends TableName>(table: T, index: TableIndexes[T], value: string): TableTypes[T][] {
    this.scanned.add(table);
    if (!this.pending.has(table)) return this.state.find(table, index, value) as TableTypes[T][];
    return this.list(table).filter((o) => indexKey(table, index, o) === value);
  }

  create<T extends TableName>(table: T, object: TableTypes[T]): TableTypes[T] {
    if (this.get(table, object.ID)) throw conflict(`${table} object ${object.ID} already exists`);
    const now = this.now();
    const obj = { ...structuredClone(object), CreatedAt: now, UpdatedAt: now, Version: { Index: this.index + 1 } };
    this.write(table, 'create', obj);
    return obj;
  }

  update<T extends TableName>(table: T, object: TableTypes[T]): TableTypes[T] {
    const current = this.get(table, object.ID);
    if (!current) throw notFound(`${table} object ${object.ID} not found`);
    if (current.Version.Index !== object.Version.Index) {
      throw new ShoalError('conflict', `update out of sequence: ${table} object ${object.ID} is at version ${current.Version.Index}, not ${object.Version.Index}`);
    }
    const created = this.pending.get(table)?.get(object.ID)?.action === 'create';
    const obj = { ...structuredClone(object), CreatedAt: current.CreatedAt, UpdatedAt: this.now(), Version: { Index: this.index + 1 } };
    this.write(table, created ? 'create' : 'update', obj);
    return obj;
  }

  remove<T extends TableName>(table: T, id: string): void {
    const current = this.get(table, id);
    if (!current) throw notFound(`${table} object ${id} not found`);
    if (this.pending.get(table)?.get(id)?.action === 'create') this.pending.get(table)!.delete(id);
    else this.write(table, 'remove', current);
  }

  changes(): Change[] {
    const out: Change[] = [];
    for (const [table, writes] of this.pending) for (const w of writes.values()) out.push({ table, ...w });
    return out;
  }

  private write(table: TableName, action: Change['action'], object: AnyObject): void {
    let p = this.pending.get(table);
    if (!p) this.pending.set(table, (p = new Map()));
    p.set(object.ID, { action, object });
  }
}

/** Reads straight from the committed tables. */
export function tablesReader(tables: { table(name: TableName): { rows: Map<string, AnyObject>; find(index: string, value: string): AnyObject[] } }): StateReader {
  return {
    get: (table, id) => tables.table(table).rows.get(id),
    list: (table) => [...tables.table(table).rows.values()],
    find: (table, index, value) => tables.table(table).find(index, value),
  };
}

