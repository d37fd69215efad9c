import type { TableName } from '../types.js';
import type { Change } from '../store/journal.js';

/** A store transaction as it travels in a log entry: its writes and what it read to decide them. */
export interface Command {
  /** Who proposed it, to find the waiting caller: `<node>/<sequence>`. */
  id: string;
  /** The index of the state the transaction read. */
  at: number;
  changes: Change[];
  /** Objects read by ID, with the version read (0: absent). */
  reads: [TableName, string, number][];
  /** Tables listed or searched: none may have changed after `at`. */
  scans: TableName[];
  /** Unix ms at which it was proposed: the time of its events, the same on every manager (absent in older logs). */
  ts?: number;
}

export const encodeCommand = (c: Command): string => JSON.stringify(c);
export const decodeCommand = (data: string): Command => JSON.parse(data) as Command;

/** Sets the version of every written object to the index of the entry that commits it. */
export function stampVersions(changes: Change[], index: number): void {
  for (const c of changes) if (c.action !== 'remove') (c.object as { Version: { Index: number } }).Version = { Index: index };
}
