import type { Entry } from './core/types.js';

/** First byte of a packed value; a JSON text (the older form of log records) starts with `{`. */
export const PACKED = 0x01;
const ABSENT = 0xffffffff;
const ENTRY_HEAD = 8 + 8 + 1 + 4;

/**
 * A value holding Raft entries, framed for the wire and the log: its other fields as JSON, its
 * entries in binary with their data as raw UTF-8. Inside JSON, an entry's data (itself JSON)
 * would be escaped on every send and write and unescaped on every read: a third of a follower's
 * encoding work per entry.
 *
 * Layout: PACKED, u32 length of the JSON head, the head, u32 entry count (ABSENT: no entries
 * field), then per entry: f64 index, f64 term, u8 type (1: conf), u32 data length, the data.
 */
export function pack(head: object, entries: readonly Entry[] | undefined): Buffer {
  // Written straight into one buffer: this runs for every message and log record.
  const headJson = JSON.stringify(head);
  const headLen = Buffer.byteLength(headJson);
  let size = 1 + 4 + headLen + 4;
  if (entries) for (const e of entries) size += ENTRY_HEAD + Buffer.byteLength(e.data);
  const buf = Buffer.allocUnsafe(size);
  buf[0] = PACKED;
  buf.writeUInt32LE(headLen, 1);
  buf.write(headJson, 5, headLen, 'utf8');
  let off = 5 + headLen;
  buf.writeUInt32LE(entries ? entries.length : ABSENT, off);
  off += 4;
  if (entries) {
    for (const e of entries) {
      buf.writeDoubleLE(e.index, off);
      buf.writeDoubleLE(e.term, off + 8);
      buf[off + 16] = e.type === 'conf' ? 1 : 0;
      const len = buf.write(e.data, off + ENTRY_HEAD, 'utf8');
      buf.writeUInt32LE(len, off + 17);
      off += ENTRY_HEAD + len;
    }
  }
  return buf;
}

/** The head and entries of a packed value; throws on one cut short. */
export function unpack(buf: Buffer): { head: unknown; entries: Entry[] | undefined } {
  if (buf[0] !== PACKED) throw new Error('not a packed value');
  const headLen = buf.readUInt32LE(1);
  const head: unknown = JSON.parse(buf.toString('utf8', 5, 5 + headLen));
  let off = 5 + headLen;
  const count = buf.readUInt32LE(off);
  off += 4;
  if (count === ABSENT) return { head, entries: undefined };
  const entries: Entry[] = new Array<Entry>(count);
  for (let i = 0; i < count; i++) {
    const len = buf.readUInt32LE(off + 17);
    const end = off + ENTRY_HEAD + len;
    if (end > buf.length) throw new Error('packed value cut short');
    entries[i] = { index: buf.readDoubleLE(off), term: buf.readDoubleLE(off + 8), type: buf[off + 16] === 1 ? 'conf' : 'normal', data: buf.toString('utf8', off + ENTRY_HEAD, end) };
    off = end;
  }
  return { head, entries };
}
