import { MAX_LABEL_LENGTH, MAX_NAME_LENGTH } from './constants.js';

/** A message that breaks the wire format; the server answers FORMERR (or drops it). */
export class DnsFormatError extends Error {
  override readonly name = 'DnsFormatError';
}

/** Bytes that appear in a label as themselves; every other byte is escaped (RFC 4343 §2.1). */
const isPlain = (b: number): boolean => b > 0x20 && b < 0x7f && b !== 0x2e && b !== 0x5c;

function labelText(buf: Buffer, start: number, end: number): string {
  let plain = true;
  for (let i = start; i < end; i++) if (!isPlain(buf[i]!)) plain = false;
  if (plain) return buf.toString('latin1', start, end);
  let s = '';
  for (let i = start; i < end; i++) {
    const b = buf[i]!;
    if (isPlain(b)) s += String.fromCharCode(b);
    else if (b === 0x2e || b === 0x5c) s += '\\' + String.fromCharCode(b);
    else s += '\\' + String(b).padStart(3, '0');
  }
  return s;
}

/**
 * Reads the name at `offset`, following compression pointers, and returns it in presentation
 * form (labels joined by dots, '.' '\' and unprintable bytes escaped; '' for the root) with the
 * offset just past it. Strict: every pointer must go below where the current run of labels
 * began, so loops and forward pointers are refused, and so are labels over 63 bytes, names over
 * 255 and anything past the end of the message.
 */
export function readName(buf: Buffer, offset: number): { name: string; end: number } {
  let pos = offset;
  let floor = offset; // a pointer must point below this; it only goes down, so reading ends
  let end = -1;
  let wireLength = 1; // the root octet
  let name = '';
  for (;;) {
    if (pos >= buf.length) throw new DnsFormatError('name runs past the end of the message');
    const len = buf[pos]!;
    if (len === 0) {
      if (end < 0) end = pos + 1;
      return { name, end };
    }
    const kind = len & 0xc0;
    if (kind === 0xc0) {
      if (pos + 1 >= buf.length) throw new DnsFormatError('compression pointer cut short');
      const target = ((len & 0x3f) << 8) | buf[pos + 1]!;
      if (target >= floor) throw new DnsFormatError('compression pointer does not point backwards');
      if (end < 0) end = pos + 2;
      pos = floor = target;
      continue;
    }
    if (kind !== 0) throw new DnsFormatError('unknown label type');
    if (len > MAX_LABEL_LENGTH) throw new DnsFormatError('label over 63 bytes');
    const start = pos + 1;
    if (start + len > buf.length) throw new DnsFormatError('label runs past the end of the message');
    wireLength += len + 1;
    if (wireLength > MAX_NAME_LENGTH) throw new DnsFormatError('name over 255 bytes');
    name += (name ? '.' : '') + labelText(buf, start, start + len);
    pos = start + len;
  }
}

/** The labels of a name in presentation form, escapes resolved; '' and '.' are the root. */
export function nameToLabels(name: string): Buffer[] {
  const text = name.endsWith('.') && !name.endsWith('\\.') ? name.slice(0, -1) : name;
  if (text === '') return [];
  const labels: Buffer[] = [];
  let bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x2e) {
      labels.push(checkedLabel(bytes, name));
      bytes = [];
    } else if (c === 0x5c) {
      const digits = text.slice(i + 1, i + 4);
      if (/^\d{3}$/.test(digits) && Number(digits) < 256) {
        bytes.push(Number(digits));
        i += 3;
      } else if (i + 1 < text.length) {
        bytes.push(text.charCodeAt(++i));
      } else throw new DnsFormatError(`dangling escape in ${name}`);
    } else if (c > 0xff) throw new DnsFormatError(`non-latin1 character in ${name}`);
    else bytes.push(c);
  }
  labels.push(checkedLabel(bytes, name));
  if (labels.reduce((n, l) => n + l.length + 1, 1) > MAX_NAME_LENGTH) throw new DnsFormatError(`name over 255 bytes: ${name}`);
  return labels;
}

function checkedLabel(bytes: number[], name: string): Buffer {
  if (bytes.length === 0) throw new DnsFormatError(`empty label in ${name}`);
  if (bytes.length > MAX_LABEL_LENGTH) throw new DnsFormatError(`label over 63 bytes in ${name}`);
  return Buffer.from(bytes);
}

/** A name in uncompressed wire form. */
export function encodeName(name: string): Buffer {
  const labels = nameToLabels(name);
  const out = Buffer.allocUnsafe(labels.reduce((n, l) => n + l.length + 1, 1));
  let pos = 0;
  for (const l of labels) {
    out[pos++] = l.length;
    pos += l.copy(out, pos);
  }
  out[pos] = 0;
  return out;
}
