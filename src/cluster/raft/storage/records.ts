import { crc32 } from 'node:zlib';
import type { DataKey } from './encryption.js';

const HEADER = 8;

/** Frames one record: length, CRC-32 of the stored bytes, then the payload sealed by the data key. */
export function sealRecord(key: DataKey, payload: Uint8Array): Buffer {
  const body = key.seal(payload);
  const head = Buffer.alloc(HEADER);
  head.writeUInt32LE(body.length, 0);
  head.writeUInt32LE(crc32(body), 4);
  return Buffer.concat([head, body]);
}

/** A record whose payload is `value` as JSON. */
export const encodeRecord = (key: DataKey, value: unknown): Buffer => sealRecord(key, Buffer.from(JSON.stringify(value)));

/** Only zeroed space (preallocated, never written) from `offset` on: the records end there. */
export function zeroTail(buf: Buffer, offset: number): boolean {
  for (let i = offset; i < buf.length; i++) if (buf[i] !== 0) return false;
  return true;
}

export type DecodeResult<T> = { value: T; end: number } | { torn: string };

/** Opens the record at `offset`; a short, mismatching or undecryptable record is reported, not thrown. */
export function openRecord(key: DataKey, buf: Buffer, offset: number): DecodeResult<Buffer> {
  if (offset + HEADER > buf.length) return { torn: 'short header' };
  const len = buf.readUInt32LE(offset);
  const end = offset + HEADER + len;
  if (end > buf.length) return { torn: 'short record' };
  const body = buf.subarray(offset + HEADER, end);
  if (crc32(body) !== buf.readUInt32LE(offset + 4)) return { torn: 'checksum mismatch' };
  try {
    return { value: key.open(body), end };
  } catch {
    return { torn: 'record does not decrypt' };
  }
}

/** Decodes the JSON record at `offset` (see openRecord). */
export function decodeRecord<T>(key: DataKey, buf: Buffer, offset: number): DecodeResult<T> {
  const r = openRecord(key, buf, offset);
  if ('torn' in r) return r;
  try {
    return { value: JSON.parse(r.value.toString('utf8')) as T, end: r.end };
  } catch {
    return { torn: 'record is not JSON' };
  }
}
