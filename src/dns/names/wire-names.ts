import { DnsFormatError, encodeName, readName } from '../wire/name.js';
import type { NameEntry } from './entry.js';

const FNV_OFFSET = 0x811c9dc5 | 0;
const FNV_PRIME = 0x01000193;

/** An ASCII letter's lowercase; every other byte as is (what lowercasing a name in presentation form does). */
const lower = (b: number): number => (b >= 0x41 && b <= 0x5a ? b | 0x20 : b);

/**
 * The entries of a view keyed by their names in wire form, looked up straight from a query's bytes
 * (ASCII case ignored) without making a string: an open-addressing hash table over one buffer of
 * lowercased names. Holds only names whose presentation form reads back from their wire form
 * unchanged, so a hit here is exactly a hit of the presentation-form key; a miss is left to it.
 */
export class WireNames {
  private constructor(
    /** entry index + 1 per slot; 0: free. Its length is a power of two. */
    private readonly slots: Int32Array,
    private readonly names: Buffer,
    private readonly starts: Int32Array,
    private readonly entries: readonly NameEntry[],
  ) {}

  static of(byName: ReadonlyMap<string, NameEntry>): WireNames {
    const wires: Buffer[] = [];
    const entries: NameEntry[] = [];
    for (const [key, entry] of byName) {
      const wire = canonicalWire(key);
      if (!wire) continue;
      wires.push(wire);
      entries.push(entry);
    }
    let size = 8;
    while (size < 2 * wires.length) size *= 2;
    const slots = new Int32Array(size);
    const starts = new Int32Array(wires.length + 1);
    wires.forEach((w, i) => (starts[i + 1] = starts[i]! + w.length));
    const names = Buffer.concat(wires);
    wires.forEach((w, i) => {
      let slot = hashOf(w, 0, w.length) & (size - 1);
      while (slots[slot] !== 0) slot = (slot + 1) & (size - 1);
      slots[slot] = i + 1;
    });
    return new WireNames(slots, names, starts, entries);
  }

  /** The entry of the wire-form name at buf[start, end) (labels and the root octet), or undefined. */
  get(buf: Buffer, start: number, end: number): NameEntry | undefined {
    const mask = this.slots.length - 1;
    for (let slot = hashOf(buf, start, end) & mask; ; slot = (slot + 1) & mask) {
      const index = this.slots[slot]! - 1;
      if (index < 0) return undefined;
      if (this.matches(index, buf, start, end)) return this.entries[index];
    }
  }

  private matches(index: number, buf: Buffer, start: number, end: number): boolean {
    const from = this.starts[index]!;
    if (this.starts[index + 1]! - from !== end - start) return false;
    for (let i = 0; i < end - start; i++) if (this.names[from + i] !== lower(buf[start + i]!)) return false;
    return true;
  }
}

function hashOf(buf: Buffer, start: number, end: number): number {
  let h = FNV_OFFSET;
  for (let i = start; i < end; i++) h = Math.imul(h ^ lower(buf[i]!), FNV_PRIME);
  return h;
}

/** `key`'s wire form if reading it back gives `key` again (and it is lowercase); else undefined. */
function canonicalWire(key: string): Buffer | undefined {
  try {
    const wire = encodeName(key);
    return readName(wire, 0).name === key && wire.every((b) => lower(b) === b) ? wire : undefined;
  } catch (err) {
    if (err instanceof DnsFormatError) return undefined;
    throw err;
  }
}
