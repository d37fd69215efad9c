export type { Store, ReadTx, WriteTx, StoreEvent, StoreAction, TableIndexes } from './types.js';
export { LocalStore } from './local-store.js';
export { slotKey } from './indexes.js';

/** Objects read from the store are frozen; this gives a copy to change and write back. */
export const mutable = <T>(obj: T): T => structuredClone(obj);
