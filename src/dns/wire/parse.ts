import { HEADER_LENGTH, RRType } from './constants.js';
import type { DnsMessage, Question, ResourceRecord } from './message.js';
import { DnsFormatError, readName } from './name.js';

/** A decoded message and where its question section ends (the server echoes those bytes). */
export interface ParsedMessage {
  message: DnsMessage;
  questionEnd: number;
}

/**
 * Decodes a whole message, strictly: the counts must match the records present, nothing may
 * follow the last record, at most one OPT record (in the additional section, with the root name).
 * Throws DnsFormatError on anything else.
 */
export function parseMessageWithLayout(buf: Buffer): ParsedMessage {
  if (buf.length < HEADER_LENGTH) throw new DnsFormatError('message shorter than its header');
  const qd = buf.readUInt16BE(4);
  const an = buf.readUInt16BE(6);
  const ns = buf.readUInt16BE(8);
  const ar = buf.readUInt16BE(10);
  let pos = HEADER_LENGTH;
  const questions: Question[] = [];
  for (let i = 0; i < qd; i++) {
    const { name, end } = readName(buf, pos);
    if (end + 4 > buf.length) throw new DnsFormatError('question cut short');
    questions.push({ name, type: buf.readUInt16BE(end), class: buf.readUInt16BE(end + 2) });
    pos = end + 4;
  }
  const questionEnd = pos;
  const section = (count: number, optAllowed: boolean): ResourceRecord[] => {
    const records: ResourceRecord[] = [];
    for (let i = 0; i < count; i++) {
      const r = readRecord(buf, pos);
      if (r.record.type === RRType.OPT && !optAllowed) throw new DnsFormatError('OPT record outside the additional section');
      records.push(r.record);
      pos = r.end;
    }
    return records;
  };
  const answers = section(an, false);
  const authorities = section(ns, false);
  const additionals = section(ar, true);
  if (pos !== buf.length) throw new DnsFormatError('bytes after the last record');
  const message: DnsMessage = { id: buf.readUInt16BE(0), flags: buf.readUInt16BE(2), questions, answers, authorities, additionals: [] };
  for (const r of additionals) {
    if (r.type !== RRType.OPT) {
      message.additionals.push(r);
      continue;
    }
    if (message.edns) throw new DnsFormatError('more than one OPT record');
    if (r.name !== '') throw new DnsFormatError('OPT record not owned by the root');
    message.edns = { udpSize: r.class, extendedRcode: r.ttl >>> 24, version: (r.ttl >>> 16) & 0xff, flags: r.ttl & 0xffff, options: r.data as Buffer };
  }
  return { message, questionEnd };
}

export const parseMessage = (buf: Buffer): DnsMessage => parseMessageWithLayout(buf).message;

function readRecord(buf: Buffer, offset: number): { record: ResourceRecord; end: number } {
  const { name, end: nameEnd } = readName(buf, offset);
  if (nameEnd + 10 > buf.length) throw new DnsFormatError('record header cut short');
  const type = buf.readUInt16BE(nameEnd);
  const rdStart = nameEnd + 10;
  const rdEnd = rdStart + buf.readUInt16BE(nameEnd + 8);
  if (rdEnd > buf.length) throw new DnsFormatError('record data runs past the end of the message');
  const record: ResourceRecord = {
    name,
    type,
    class: buf.readUInt16BE(nameEnd + 2),
    ttl: buf.readUInt32BE(nameEnd + 4),
    data: readData(buf, type, rdStart, rdEnd),
  };
  return { record, end: rdEnd };
}

function readData(buf: Buffer, type: number, start: number, end: number): ResourceRecord['data'] {
  switch (type) {
    case RRType.A:
      if (end - start !== 4) throw new DnsFormatError('A record data is not 4 bytes');
      return `${buf[start]}.${buf[start + 1]}.${buf[start + 2]}.${buf[start + 3]}`;
    case RRType.AAAA: {
      if (end - start !== 16) throw new DnsFormatError('AAAA record data is not 16 bytes');
      const groups: string[] = [];
      for (let i = start; i < end; i += 2) groups.push(buf.readUInt16BE(i).toString(16));
      return groups.join(':');
    }
    case RRType.PTR:
    case RRType.CNAME:
    case RRType.NS: {
      const { name, end: nameEnd } = readName(buf, start);
      if (nameEnd !== end) throw new DnsFormatError('name does not fill its record data');
      return name;
    }
    case RRType.TXT: {
      const strings: string[] = [];
      for (let p = start; p < end; ) {
        const len = buf[p]!;
        if (p + 1 + len > end) throw new DnsFormatError('TXT string runs past its record data');
        strings.push(buf.toString('latin1', p + 1, p + 1 + len));
        p += 1 + len;
      }
      return strings;
    }
    default:
      return Buffer.from(buf.subarray(start, end));
  }
}
