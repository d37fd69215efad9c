import type { TableName, TableTypes } from '../types.js';

/** What a change did to one object. */
export type StoreAction = 'create' | 'update' | 'remove';

export interface StoreEvent<T extends TableName = TableName> {
  table: T;
  action: StoreAction;
  /** The object after the change (for remove: as it was when removed). */
  object: TableTypes[T];
  /** The object before the change (update and remove). */
  old?: TableTypes[T];
  /** The store index of the transaction that made the change. */
  index: number;
  /** Unix ms at which the transaction was proposed (replicated: the same on every manager); absent when unknown. */
  time?: number;
  /** True when the change comes from replacing the state with a snapshot (the changes in between are unknown). */
  fromSnapshot?: boolean;
}

/** Secondary indexes each table keeps; `find(table, index, value)` looks them up. */
export interface TableIndexes {
  cluster: never;
  nodes: 'name' | 'role';
  services: 'name';
  tasks: 'service' | 'node' | 'slot' | 'desired' | 'state';
  networks: 'name';
  secrets: 'name';
  configs: 'name';
}

export interface ReadTx {
  get<T extends TableName>(table: T, id: string): TableTypes[T] | undefined;
  list<T extends TableName>(table: T): TableTypes[T][];
  find<T extends TableName>(table: T, index: TableIndexes[T], value: string): TableTypes[T][];
  /** The index of the last committed transaction. */
  readonly index: number;
}

/**
 * Writes inside one transaction. Objects passed in are copied; `Version`, `CreatedAt` and
 * `UpdatedAt` are set by the store. `update` and `remove` of a stale version (another
 * transaction wrote the object since it was read) throw a conflict error, so a
 * read-modify-write never loses a concurrent change.
 */
export interface WriteTx extends ReadTx {
  create<T extends TableName>(table: T, object: TableTypes[T]): TableTypes[T];
  update<T extends TableName>(table: T, object: TableTypes[T]): TableTypes[T];
  remove<T extends TableName>(table: T, id: string): void;
}

export interface Store {
  /** A consistent read of the current state. */
  view<R>(fn: (tx: ReadTx) => R): R;
  /**
   * Runs `fn` against the latest state and commits its writes atomically and durably (fsync
   * before resolving). Transactions run one at a time, in call order. If `fn` throws, nothing
   * is written.
   */
  update<R>(fn: (tx: WriteTx) => R): Promise<R>;
  /** Calls `listener` for every change after commit, in commit order. Returns an unsubscribe function. */
  watch(listener: (events: StoreEvent[]) => void): () => void;
  close(): Promise<void>;
}
