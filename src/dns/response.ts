import type { RecordSet } from './names/record-set.js';
import { copyBytes } from '../util/copy-bytes.js';
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
  const hasOpt = q.edns !== undefined;
  const fit = recordsThatFit(q.questionEnd, hasOpt, records, limit);
  const out = Buffer.allocUnsafe(responseLength(q.questionEnd, hasOpt, records, fit));
  writeResponse(out, q.buf, q.questionEnd, hasOpt, rcode, authoritative, records, fit, udpSize);
  return out;
}

/** How many of `records` fit in `limit` bytes after the question (and an OPT record). */
export function recordsThatFit(questionEnd: number, hasOpt: boolean, records: RecordSet | undefined, limit: number): number {
  const total = records ? records.count : 0;
  if (total === 0) return 0;
  const base = questionEnd + (hasOpt ? OPT_RECORD_LENGTH : 0);
  return Math.max(0, Math.min(total, Math.floor((limit - base) / records!.recordLength)));
}

export function responseLength(questionEnd: number, hasOpt: boolean, records: RecordSet | undefined, fit: number): number {
  return questionEnd + (hasOpt ? OPT_RECORD_LENGTH : 0) + (fit > 0 ? fit * records!.recordLength : 0);
}

/**
 * buildResponse's bytes written into `out` (at least responseLength() long, e.g. a send slot) with
 * `fit` records from recordsThatFit(); the query's bytes up to `questionEnd` are its header and
 * question. Returns the answer's length. Allocates nothing.
 */
export function writeResponse(out: Buffer, query: Buffer, questionEnd: number, hasOpt: boolean, rcode: number, authoritative: boolean, records: RecordSet | undefined, fit: number, udpSize: number): number {
  const length = responseLength(questionEnd, hasOpt, records, fit);
  const queryFlags = query.readUInt16BE(2);
  let flags = Flag.QR | Flag.RA | (queryFlags & (OPCODE_MASK | Flag.RD)) | (rcode & RCODE_MASK);
  if (authoritative) flags |= Flag.AA;
  if (fit < (records ? records.count : 0)) flags |= Flag.TC;
  out.writeUInt16BE(query.readUInt16BE(0), 0);
  out.writeUInt16BE(flags, 2);
  out.writeUInt16BE(1, 4);
  out.writeUInt16BE(fit, 6);
  out.writeUInt16BE(0, 8);
  out.writeUInt16BE(hasOpt ? 1 : 0, 10);
  copyBytes(query, HEADER_LENGTH, questionEnd, out, HEADER_LENGTH);
  if (fit > 0) records!.writeRotated(out, questionEnd, fit);
  if (hasOpt) writeOpt(out, length - OPT_RECORD_LENGTH, rcode >> 4, udpSize);
  return length;
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
