import { isIPv4, isIPv6 } from 'node:net';
import { MAX_MESSAGE_LENGTH, RRType } from './constants.js';
import type { DnsMessage, Edns, ResourceRecord } from './message.js';
import { DnsFormatError, nameToLabels } from './name.js';

/** Compression pointers hold 14 bits of offset. */
const MAX_POINTER_TARGET = 0x3fff;

/** Writes a message, compressing names (owner names and names inside PTR/CNAME/NS data). */
class MessageWriter {
  private buf = Buffer.alloc(512);
  pos = 0;
  /** Offsets of the names already written, keyed by their lowercased suffix. */
  private readonly suffixes = new Map<string, number>();

  private ensure(n: number): void {
    if (this.pos + n > MAX_MESSAGE_LENGTH) throw new DnsFormatError('message over 65535 bytes');
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.alloc(Math.min(MAX_MESSAGE_LENGTH, Math.max(this.buf.length * 2, this.pos + n)));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v;
  }

  u16(v: number): void {
    this.ensure(2);
    this.buf.writeUInt16BE(v, this.pos);
    this.pos += 2;
  }

  u32(v: number): void {
    this.ensure(4);
    this.buf.writeUInt32BE(v >>> 0, this.pos);
    this.pos += 4;
  }

  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  name(name: string): void {
    const labels = nameToLabels(name);
    for (let i = 0; i < labels.length; i++) {
      const key = labels.slice(i).map((l) => l.toString('latin1').toLowerCase()).join('\0');
      const at = this.suffixes.get(key);
      if (at !== undefined) {
        this.u16(0xc000 | at);
        return;
      }
      if (this.pos <= MAX_POINTER_TARGET) this.suffixes.set(key, this.pos);
      this.u8(labels[i]!.length);
      this.bytes(labels[i]!);
    }
    this.u8(0);
  }

  patchU16(at: number, v: number): void {
    this.buf.writeUInt16BE(v, at);
  }

  result(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.pos));
  }
}

/** Encodes a message; throws DnsFormatError when a name or the message is too long. */
export function serializeMessage(msg: DnsMessage): Buffer {
  const w = new MessageWriter();
  const additionals = msg.edns ? [...msg.additionals, ednsToRecord(msg.edns)] : msg.additionals;
  w.u16(msg.id);
  w.u16(msg.flags);
  w.u16(msg.questions.length);
  w.u16(msg.answers.length);
  w.u16(msg.authorities.length);
  w.u16(additionals.length);
  for (const q of msg.questions) {
    w.name(q.name);
    w.u16(q.type);
    w.u16(q.class);
  }
  for (const r of [...msg.answers, ...msg.authorities, ...additionals]) writeRecord(w, r);
  return w.result();
}

function writeRecord(w: MessageWriter, r: ResourceRecord): void {
  w.name(r.name);
  w.u16(r.type);
  w.u16(r.class);
  w.u32(r.ttl);
  const lengthAt = w.pos;
  w.u16(0);
  writeData(w, r);
  w.patchU16(lengthAt, w.pos - lengthAt - 2);
}

function writeData(w: MessageWriter, r: ResourceRecord): void {
  const { data } = r;
  if (Buffer.isBuffer(data)) return w.bytes(data);
  if (Array.isArray(data)) {
    for (const s of data) {
      const b = Buffer.from(s, 'latin1');
      if (b.length > 255) throw new DnsFormatError('TXT string over 255 bytes');
      w.u8(b.length);
      w.bytes(b);
    }
    return;
  }
  switch (r.type) {
    case RRType.A:
      if (!isIPv4(data)) throw new DnsFormatError(`not an IPv4 address: ${data}`);
      return w.bytes(ipv4Bytes(data));
    case RRType.AAAA:
      if (!isIPv6(data) || data.includes('.')) throw new DnsFormatError(`not an IPv6 address: ${data}`);
      return w.bytes(ipv6Bytes(data));
    default:
      return w.name(data);
  }
}

export const ipv4Bytes = (addr: string): Buffer => Buffer.from(addr.split('.').map(Number));

function ipv6Bytes(addr: string): Buffer {
  const [head, tail] = addr.includes('::') ? addr.split('::') : [addr, undefined];
  const groups = (s: string | undefined): number[] => (s ? s.split(':').map((g) => parseInt(g, 16)) : []);
  const h = groups(head);
  const t = groups(tail);
  const all = tail === undefined ? h : [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
  const out = Buffer.alloc(16);
  all.forEach((g, i) => out.writeUInt16BE(g, i * 2));
  return out;
}

/** The OPT pseudo-record that carries `edns`. */
export function ednsToRecord(edns: Edns): ResourceRecord {
  return {
    name: '',
    type: RRType.OPT,
    class: edns.udpSize,
    ttl: ((edns.extendedRcode << 24) | (edns.version << 16) | edns.flags) >>> 0,
    data: edns.options,
  };
}
