import { conflict, notFound, ShoalError } from '../../util/errors.js';
import type { Logger } from '../../util/logger.js';
import type { Clock } from '../../util/clock.js';
import { systemClock } from '../../util/clock.js';
import type { TableName, TableTypes } from '../types.js';
import { Journal, type Change } from './journal.js';
import { Tables, deepFreeze } from './tables.js';
import { INDEX_KEYS as INDEX_FNS } from './indexes.js';
import type { ReadTx, Store, StoreEvent, TableIndexes, WriteTx } from './types.js';

type AnyObject = TableTypes[TableName];

/**
 * The cluster store on one host: in-memory tables with secondary indexes, made durable by a
 * local journal. Transactions run one at a time; each commit gets the next index, which
 * becomes the `Version.Index` of every object it wrote.
 */
export class LocalStore implements Store {
  private readonly tables = new Tables();
  private index = 0;
  private readonly listeners = new Set<(events: StoreEvent[]) => void>();
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(
    private readonly journal: Journal,
    private readonly log: Logger,
    private readonly clock: Clock,
  ) {}

  /** Opens (or creates) the store kept in `dir`, replaying what was committed before. */
  static open(dir: string, log: Logger, clock: Clock = systemClock): LocalStore {
    const journal = new Journal(dir, log);
    const store = new LocalStore(journal, log, clock);
    const { snapshot, entries } = journal.open();
    store.tables.load(snapshot.tables);
    store.index = snapshot.index;
    for (const entry of entries) {
      store.applyChanges(entry.changes);
      store.index = entry.index;
    }
    log.info({ dir, index: store.index, replayed: entries.length }, 'store opened');
    return store;
  }

  view<R>(fn: (tx: ReadTx) => R): R {
    return fn(new Transaction(this.tables, this.index, () => this.timestamp()));
  }

  update<R>(fn: (tx: WriteTx) => R): Promise<R> {
    const run = this.queue.then(() => this.commit(fn));
    this.queue = run.catch(() => undefined);
    return run;
  }

  watch(listener: (events: StoreEvent[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.queue;
    this.journal.close();
  }

  private commit<R>(fn: (tx: WriteTx) => R): R {
    if (this.closed) throw new ShoalError('unavailable', 'the store is closed (the node is leaving the swarm or shutting down)');
    const tx = new Transaction(this.tables, this.index, () => this.timestamp());
    const result = fn(tx);
    const changes = tx.changes();
    if (changes.length === 0) return result;
    const index = this.index + 1;
    for (const c of changes) if (c.action !== 'remove') (c.object as { Version: { Index: number } }).Version = { Index: index };
    this.journal.append({ index, changes });
    const events = this.applyChanges(changes, index);
    this.index = index;
    if (this.journal.wantsSnapshot) this.journal.writeSnapshot({ index, tables: this.tables.dump() });
    for (const l of this.listeners) {
      try {
        l(events);
      } catch (err) {
        this.log.error({ err }, 'store watcher failed');
      }
    }
    return result;
  }

  private applyChanges(changes: Change[], index = 0): StoreEvent[] {
    const events: StoreEvent[] = [];
    for (const c of changes) {
      const table = this.tables.table(c.table);
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

  private timestamp(): string {
    return new Date(this.clock.now()).toISOString();
  }
}

/** A read (and, inside update, write) transaction: writes are kept aside until commit. */
class Transaction implements WriteTx {
  private readonly pending = new Map<TableName, Map<string, { action: Change['action']; object: AnyObject }>>();

  constructor(
    private readonly tables: Tables,
    readonly index: number,
    private readonly now: () => string,
  ) {}

  get<T extends TableName>(table: T, id: string): TableTypes[T] | undefined {
    const p = this.pending.get(table)?.get(id);
    if (p) return p.action === 'remove' ? undefined : (p.object as TableTypes[T]);
    return this.tables.table(table).rows.get(id) as TableTypes[T] | undefined;
  }

  list<T extends TableName>(table: T): TableTypes[T][] {
    const base = this.tables.table(table).rows;
    const p = this.pending.get(table);
    if (!p) return [...base.values()] as TableTypes[T][];
    const out: AnyObject[] = [];
    for (const [id, obj] of base) if (!p.has(id)) out.push(obj);
    for (const w of p.values()) if (w.action !== 'remove') out.push(w.object);
    return out as TableTypes[T][];
  }

  find<T extends TableName>(table: T, index: TableIndexes[T], value: string): TableTypes[T][] {
    const base = this.tables.table(table).find(index, value);
    const p = this.pending.get(table);
    if (!p) return base as TableTypes[T][];
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

function indexKey(table: TableName, index: string, obj: AnyObject): string | undefined {
  return (INDEX_FNS[table] as Record<string, (o: AnyObject) => string | undefined>)[index]?.(obj);
}
