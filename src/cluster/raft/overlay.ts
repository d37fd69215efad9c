import type { TableName, TableTypes } from '../types.js';
import { indexKey } from '../store/indexes.js';
import type { Change } from '../store/journal.js';
import type { StateReader } from '../store/transaction.js';
import type { ClusterState } from './cluster-state.js';

type AnyObject = TableTypes[TableName];

/**
 * The leader's latest state: the applied state plus the writes it has proposed and not yet
 * applied. Transactions run against it, so the leader can pipeline proposals and each one still
 * sees every write before it (the store's one-at-a-time semantics). Emptied when leadership ends.
 */
export class Overlay implements StateReader {
  private readonly pending = new Map<TableName, Map<string, { obj: AnyObject | undefined; index: number }>>();
  private readonly tableVersions = new Map<TableName, number>();

  constructor(private readonly state: ClusterState) {}

  get(table: TableName, id: string): AnyObject | undefined {
    const p = this.pending.get(table)?.get(id);
    return p ? p.obj : this.state.tables.table(table).rows.get(id);
  }

  list(table: TableName): AnyObject[] {
    const p = this.pending.get(table);
    const base = [...this.state.tables.table(table).rows.values()];
    if (!p) return base;
    const out = base.filter((o) => !p.has(o.ID));
    for (const w of p.values()) if (w.obj) out.push(w.obj);
    return out;
  }

  find(table: TableName, index: string, value: string): AnyObject[] {
    if (!this.pending.has(table)) return this.state.tables.table(table).find(index, value);
    return this.list(table).filter((o) => indexKey(table, index, o) === value);
  }

  tableVersion(table: TableName): number {
    return Math.max(this.tableVersions.get(table) ?? 0, this.state.tableVersion(table));
  }

  /** Records the writes of the entry proposed at `index`. */
  add(index: number, changes: readonly Change[]): void {
    for (const c of changes) {
      let p = this.pending.get(c.table);
      if (!p) this.pending.set(c.table, (p = new Map()));
      p.set(c.object.ID, { obj: c.action === 'remove' ? undefined : c.object, index });
      this.tableVersions.set(c.table, index);
    }
  }

  /** Entries up to `index` are in the applied state now. */
  appliedTo(index: number): void {
    for (const [table, p] of this.pending) {
      for (const [id, w] of p) if (w.index <= index) p.delete(id);
      if (p.size === 0) this.pending.delete(table);
    }
    for (const [table, v] of this.tableVersions) if (v <= index) this.tableVersions.delete(table);
  }

  clear(): void {
    this.pending.clear();
    this.tableVersions.clear();
  }
}
