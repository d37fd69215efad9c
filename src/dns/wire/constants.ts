/** DNS wire constants (RFC 1035, 6891) that Shoal's server and tests use. */

export const RRType = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  PTR: 12,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
  OPT: 41,
  ANY: 255,
} as const;

export const RRClass = { IN: 1, CH: 3, ANY: 255 } as const;

export const RCode = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
  /** Extended (EDNS0): the 4 low bits go in the header, the rest in the OPT record. */
  BADVERS: 16,
} as const;

/** Bits of the header's flags word; the opcode is bits 11-14 and the rcode bits 0-3. */
export const Flag = {
  QR: 0x8000,
  AA: 0x0400,
  TC: 0x0200,
  RD: 0x0100,
  RA: 0x0080,
} as const;

export const OPCODE_MASK = 0x7800;
export const RCODE_MASK = 0x000f;
export const opcodeOf = (flags: number): number => (flags & OPCODE_MASK) >> 11;

export const HEADER_LENGTH = 12;
export const MAX_LABEL_LENGTH = 63;
/** Of a name in wire form, length octets and the root included. */
export const MAX_NAME_LENGTH = 255;
export const MAX_MESSAGE_LENGTH = 65535;
/** A UDP answer without EDNS0 may not exceed this (RFC 1035 §4.2.1). */
export const CLASSIC_UDP_LIMIT = 512;
