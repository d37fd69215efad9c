/** A DNS message, decoded. Names are in presentation form (see readName). */
export interface DnsMessage {
  id: number;
  /** The whole flags word: QR, opcode, AA, TC, RD, RA and the (low 4 bits of the) rcode. */
  flags: number;
  questions: Question[];
  answers: ResourceRecord[];
  authorities: ResourceRecord[];
  /** Without the OPT record, which is decoded into `edns`. */
  additionals: ResourceRecord[];
  edns?: Edns;
}

export interface Question {
  name: string;
  type: number;
  class: number;
}

/**
 * A resource record. `data` is decoded for the types Shoal reads: A and AAAA as an address, PTR,
 * CNAME and NS as a name, TXT as its strings; other types keep their raw bytes.
 */
export interface ResourceRecord {
  name: string;
  type: number;
  class: number;
  ttl: number;
  data: string | string[] | Buffer;
}

/** The EDNS0 OPT pseudo-record (RFC 6891). */
export interface Edns {
  /** The largest UDP answer the sender can take. */
  udpSize: number;
  /** The upper 8 bits of the 12-bit rcode. */
  extendedRcode: number;
  version: number;
  /** DO and the rest of the flags. */
  flags: number;
  /** Options, undecoded. */
  options: Buffer;
}
