import { HEADER_LENGTH, MAX_LABEL_LENGTH, MAX_NAME_LENGTH, RRType } from './constants.js';

/** Root owner, type, class, TTL and data length of an OPT record. */
const OPT_HEADER_LENGTH = 11;

/**
 * Reads the common query in place, allocating nothing: a header with QR clear, opcode 0, one
 * question and no answer or authority records; the question's name uncompressed (labels of 1-63
 * bytes, at most 255 in all); then nothing, or one EDNS0 OPT record of version 0 owned by the root
 * and ending the message. scan() says whether `buf` is such a query and fills the fields; anything
 * else, well-formed or not, is for the full parser (parseMessageWithLayout), which applies every rule.
 * One instance is reused for every query.
 */
export class QueryScan {
  /** Offset just past the question's name (its type and class follow). */
  nameEnd = 0;
  /** Offset just past the question. */
  questionEnd = 0;
  type = 0;
  qclass = 0;
  /** The OPT record's UDP size, or -1 when the query has none. */
  ednsUdpSize = -1;

  /** Whether the first `length` bytes of `buf` are the common query (fields valid only then). */
  scan(buf: Buffer, length: number): boolean {
    if (length < HEADER_LENGTH) return false;
    // QR and opcode are the top 5 bits of byte 2; counts: QD 1, AN 0, NS 0, AR 0 or 1.
    if ((buf[2]! & 0xf8) !== 0 || buf[4] !== 0 || buf[5] !== 1 || buf[6] !== 0 || buf[7] !== 0 || buf[8] !== 0 || buf[9] !== 0 || buf[10] !== 0) return false;
    const additionals = buf[11]!;
    if (additionals > 1) return false;
    let pos = HEADER_LENGTH;
    for (;;) {
      if (pos >= length) return false;
      const len = buf[pos]!;
      if (len === 0) break;
      if (len > MAX_LABEL_LENGTH) return false; // also compression pointers and other label types
      pos += len + 1;
    }
    const nameEnd = pos + 1;
    if (nameEnd - HEADER_LENGTH > MAX_NAME_LENGTH) return false;
    const questionEnd = nameEnd + 4;
    if (questionEnd > length) return false;
    this.nameEnd = nameEnd;
    this.questionEnd = questionEnd;
    this.type = buf.readUInt16BE(nameEnd);
    this.qclass = buf.readUInt16BE(nameEnd + 2);
    this.ednsUdpSize = -1;
    if (additionals === 0) return questionEnd === length;
    const opt = questionEnd;
    if (opt + OPT_HEADER_LENGTH > length || buf[opt] !== 0 || buf.readUInt16BE(opt + 1) !== RRType.OPT) return false;
    if (buf[opt + 6] !== 0) return false; // EDNS version above 0: BADVERS, from the full path
    if (opt + OPT_HEADER_LENGTH + buf.readUInt16BE(opt + 9) !== length) return false;
    this.ednsUdpSize = buf.readUInt16BE(opt + 3);
    return true;
  }
}
