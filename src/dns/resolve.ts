import type { NameClass, NameEntry } from './names/entry.js';
import type { NameIndex } from './names/name-index.js';
import { RecordSet } from './names/record-set.js';
import { RRClass, RRType } from './wire/constants.js';

/**
 * How a question is answered:
 * - `answer`: a name the asker sees; `records` are the answers of the asked type (none: NODATA);
 * - `nxdomain`: a name that exists only on networks the asker is not on;
 * - `refused`: an internal name asked by someone who is on no network of this table;
 * - `forward`: not an internal name: the host's resolvers answer it.
 */
export type Resolution =
  | { kind: 'answer'; nameClass: NameClass; records: RecordSet }
  | { kind: 'nxdomain' | 'refused'; nameClass: NameClass }
  | { kind: 'forward' };

const FORWARD: Resolution = { kind: 'forward' };

/** Resolves one question for the asker at `source`. `key` is the question's name, lowercased. */
export function resolve(index: NameIndex, source: string, key: string, type: number, qclass: number): Resolution {
  if (qclass !== RRClass.IN && qclass !== RRClass.ANY) return FORWARD;
  const view = index.viewFor(source);
  const entry = view?.byName.get(key);
  if (entry) return { kind: 'answer', nameClass: entry.nameClass, records: recordsOf(entry, type) };
  const nameClass = index.internalClass(key);
  if (!nameClass) return FORWARD;
  return { kind: view ? 'nxdomain' : 'refused', nameClass };
}

/** A for A (and ANY), PTR for PTR; AAAA and every other type have none (an empty NOERROR). */
export function recordsOf(entry: NameEntry, type: number): RecordSet {
  switch (type) {
    case RRType.A:
      return entry.a;
    case RRType.PTR:
      return entry.ptr;
    case RRType.ANY:
      return entry.a.count ? entry.a : entry.ptr;
    default:
      return RecordSet.EMPTY;
  }
}
