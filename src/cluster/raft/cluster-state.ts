import type { Logger } from '../../util/logger.js';
import { TABLE_NAMES, type TableName, type TableTypes } from '../types.js';
import { applyChanges } from '../store/apply-changes.js';
import { Tables } from '../store/tables.js';
import { tablesReader, type StateReader } from '../store/transaction.js';
import type { StoreEvent } from '../store/types.js';
import type { Command } from './command.js';
import type { NodeId } from './core/types.js';

/** A manager as the replicated state knows it. */
export interface Member {
  id: NodeId;
  addr: string;
}

interface StateSnapshot {
  index: number;
  tables: Partial<Record<TableName, TableTypes[TableName][]>>;
  tableVersions: Partial<Record<TableName, number>>;
  members: Member[];
  /** Recently applied commands (ID, index), and the index after which every applied command is listed (absent in older snapshots). */
  recent?: [string, number][];
  recentFrom?: number;
}

/** How many applied command IDs the state remembers: enough for the writes a member can have in flight through a snapshot. */
const RECENT_COMMANDS = 4096;

/**
 * The replicated state machine of the store: the tables (with their indexes), the index each
 * table last changed at, and the members' addresses. Every manager applies the same commands in
 * the same order, checking each against what it read, so all reach the same state.
 */
export class ClusterState {
  tables = new Tables();
  /** Index of the last applied entry. */
  index = 0;
  readonly members = new Map<NodeId, string>();
  private tableVersions = new Map<TableName, number>();
  /**
   * The IDs of the commands applied last, with their index, kept in snapshots too: a member that
   * forwarded a write and then caught up from a snapshot learns from it whether the write landed.
   */
  private recent = new Map<string, number>();
  /** Every command applied after this index is in `recent`. */
  private recentFrom = 0;

  constructor(private readonly log: Logger) {}

  reader(): StateReader {
    return tablesReader(this.tables);
  }

  tableVersion(table: TableName): number {
    return this.tableVersions.get(table) ?? 0;
  }

  /** Why `cmd` no longer holds against this state (something it read changed), or undefined if it does. */
  conflict(cmd: Command, state: Pick<StateReader, 'get'> & { tableVersion(t: TableName): number } = this.asChecked()): string | undefined {
    for (const [table, id, version] of cmd.reads) {
      const now = state.get(table, id)?.Version.Index ?? 0;
      if (now !== version) return `${table} object ${id} changed (version ${now}, read at ${version})`;
    }
    for (const table of cmd.scans) {
      const v = state.tableVersion(table);
      if (v > cmd.at) return `${table} changed at ${v}, after the transaction read it at ${cmd.at}`;
    }
    return undefined;
  }

  /** Applies a committed command at `index`: its events, or the conflict that made it a no-op on every member. */
  apply(index: number, cmd: Command): { events: StoreEvent[] } | { conflict: string } {
    this.index = index;
    const conflict = this.conflict(cmd);
    if (conflict) return { conflict };
    for (const c of cmd.changes) this.tableVersions.set(c.table, index);
    this.remember(cmd.id, index);
    return { events: applyChanges(this.tables, cmd.changes, index) };
  }

  /** Whether the command `id` was applied at an index after `after`: undefined when that is no longer known. */
  applied(id: string, after: number): boolean | undefined {
    if (this.recent.has(id)) return true;
    return this.recentFrom <= after ? false : undefined;
  }

  private remember(id: string, index: number): void {
    this.recent.set(id, index);
    if (this.recent.size <= RECENT_COMMANDS) return;
    const [oldest, at] = this.recent.entries().next().value as [string, number];
    this.recent.delete(oldest);
    this.recentFrom = at;
  }

  snapshot(): string {
    const s: StateSnapshot = {
      index: this.index,
      tables: this.tables.dump(),
      tableVersions: Object.fromEntries(this.tableVersions),
      members: [...this.members].map(([id, addr]) => ({ id, addr })),
      recent: [...this.recent],
      recentFrom: this.recentFrom,
    };
    return JSON.stringify(s);
  }

  restore(data: string, index: number): void {
    const s: StateSnapshot = data ? (JSON.parse(data) as StateSnapshot) : { index, tables: {}, tableVersions: {}, members: [] };
    this.tables = new Tables();
    this.tables.load(s.tables);
    this.tableVersions = new Map(Object.entries(s.tableVersions) as [TableName, number][]);
    this.members.clear();
    for (const m of s.members) this.members.set(m.id, m.addr);
    this.recent = new Map(s.recent ?? []);
    this.recentFrom = s.recentFrom ?? index;
    this.index = index;
    this.log.debug({ index, tables: TABLE_NAMES.length }, 'store state restored from a snapshot');
  }

  private asChecked(): Pick<StateReader, 'get'> & { tableVersion(t: TableName): number } {
    return { get: (t, id) => this.tables.table(t).rows.get(id), tableVersion: (t) => this.tableVersion(t) };
  }
}
