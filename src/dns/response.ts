import type { RecordSet } from './names/record-set.js';
import { Flag, HEADER_LENGTH, OPCODE_MASK, RCODE_MASK, RRType } from './wire/constants.js';
import type { Edns } from './wire/message.js';

/** Root name, type, class (our UDP size), extended rcode/version/flags, empty data. */
const OPT_RECORD_LENGTH = 11;

/** What answering needs from a parsed query: its bytes (the question is echoed from them) and EDNS. */
export interface QueryFrame {
  buf: Buffer;
  questionEnd: number;
  edns: Edns | undefined;
}

/**
 * An answer to `q`: header, the question as asked (case kept), as many of `records` as fit in
 * `limit` bytes (TC set if not all did), and an OPT record advertising `udpSize` if the query had
 * one. The header's rcode is the low 4 bits of `rcode`, the OPT record carries the rest.
 */
export function buildResponse(q: QueryFrame, rcode: number, authoritative: boolean, records: RecordSet | undefined, limit: number, udpSize: number): Buffer {
  const optLength = q.edns ? OPT_RECORD_LENGTH : 0;
  const base = q.questionEnd + optLength;
  const total = records?.count ?? 0;
  const fit = total === 0 ? 0 : Math.max(0, Math.min(total, Math.floor((limit - base) / records!.recordLength)));
  const out = Buffer.allocUnsafe(base + fit * (records?.recordLength ?? 0));
  const queryFlags = q.buf.readUInt16BE(2);
  let flags = Flag.QR | Flag.RA | (queryFlags & (OPCODE_MASK | Flag.RD)) | (rcode & RCODE_MASK);
  if (authoritative) flags |= Flag.AA;
  if (fit < total) flags |= Flag.TC;
  out.writeUInt16BE(q.buf.readUInt16BE(0), 0);
  out.writeUInt16BE(flags, 2);
  out.writeUInt16BE(1, 4);
  out.writeUInt16BE(fit, 6);
  out.writeUInt16BE(0, 8);
  out.writeUInt16BE(q.edns ? 1 : 0, 10);
  q.buf.copy(out, HEADER_LENGTH, HEADER_LENGTH, q.questionEnd);
  if (fit > 0) records!.writeRotated(out, q.questionEnd, fit);
  if (q.edns) writeOpt(out, out.length - OPT_RECORD_LENGTH, rcode >> 4, udpSize);
  return out;
}

function writeOpt(out: Buffer, at: number, extendedRcode: number, udpSize: number): void {
  out[at] = 0;
  out.writeUInt16BE(RRType.OPT, at + 1);
  out.writeUInt16BE(udpSize, at + 3);
  out.writeUInt32BE((extendedRcode << 24) >>> 0, at + 5);
  out.writeUInt16BE(0, at + 9);
}

/** A header-only answer (no question): for queries whose question cannot be read. */
export function headerOnlyResponse(query: Buffer, rcode: number): Buffer {
  const out = Buffer.alloc(HEADER_LENGTH);
  out.writeUInt16BE(query.readUInt16BE(0), 0);
  out.writeUInt16BE(Flag.QR | Flag.RA | (query.readUInt16BE(2) & (OPCODE_MASK | Flag.RD)) | rcode, 2);
  return out;
}

/**
 * An upstream's answer too big for the asker's UDP limit: its header with TC set, the question,
 * no records (and our OPT record if the asker used EDNS), so the asker retries over TCP.
 */
export function truncatedResponse(q: QueryFrame, upstream: Buffer, udpSize: number): Buffer {
  const optLength = q.edns ? OPT_RECORD_LENGTH : 0;
  const out = Buffer.allocUnsafe(q.questionEnd + optLength);
  upstream.copy(out, 0, 0, 4);
  out.writeUInt16BE(out.readUInt16BE(2) | Flag.TC, 2);
  out.writeUInt16BE(1, 4);
  out.writeUInt32BE(0, 6);
  out.writeUInt16BE(q.edns ? 1 : 0, 10);
  q.buf.copy(out, HEADER_LENGTH, HEADER_LENGTH, q.questionEnd);
  if (q.edns) writeOpt(out, q.questionEnd, 0, udpSize);
  return out;
}
