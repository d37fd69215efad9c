import { RRClass, RRType } from '../wire/constants.js';
import { copyBytes } from '../../util/copy-bytes.js';
import { encodeName } from '../wire/name.js';
import { ipv4Bytes } from '../wire/serialize.js';

/** Owner name of every answer record: a compression pointer to the question's name at offset 12. */
const QUESTION_NAME_POINTER = 0xc00c;
/** Owner pointer, type, class, TTL and data length. */
const RECORD_HEADER_LENGTH = 12;

/**
 * The answer records of one name and type, encoded once when a table is applied, so answering
 * is copying bytes. Records of one set have one length; multi-record sets are served in rotating
 * order (round robin), each answer starting one record further.
 */
export class RecordSet {
  static readonly EMPTY = new RecordSet(Buffer.alloc(0), 0, 0);

  private turn = 0;

  private constructor(
    private readonly bytes: Buffer,
    readonly count: number,
    readonly recordLength: number,
  ) {}

  /** A records for `addrs`, in that order. */
  static addresses(addrs: readonly string[], ttl: number): RecordSet {
    if (addrs.length === 0) return RecordSet.EMPTY;
    return RecordSet.encode(RRType.A, addrs.map(ipv4Bytes), ttl);
  }

  /** One PTR record pointing at `name`. */
  static pointer(name: string, ttl: number): RecordSet {
    return RecordSet.encode(RRType.PTR, [encodeName(name)], ttl);
  }

  private static encode(type: number, datas: Buffer[], ttl: number): RecordSet {
    const recordLength = RECORD_HEADER_LENGTH + datas[0]!.length;
    const bytes = Buffer.alloc(recordLength * datas.length);
    datas.forEach((data, i) => {
      let p = i * recordLength;
      p = bytes.writeUInt16BE(QUESTION_NAME_POINTER, p);
      p = bytes.writeUInt16BE(type, p);
      p = bytes.writeUInt16BE(RRClass.IN, p);
      p = bytes.writeUInt32BE(ttl, p);
      p = bytes.writeUInt16BE(data.length, p);
      data.copy(bytes, p);
    });
    return new RecordSet(bytes, datas.length, recordLength);
  }

  /** The addresses of an A record set, in stored order (what `shoal service why` reports a host's DNS holds). */
  addresses(): string[] {
    const out: string[] = [];
    for (let i = 0; i < this.count; i++) {
      const p = i * this.recordLength + RECORD_HEADER_LENGTH;
      if (this.recordLength === RECORD_HEADER_LENGTH + 4) out.push([...this.bytes.subarray(p, p + 4)].join('.'));
    }
    return out;
  }

  /** Writes the first `n` (≤ count) records of this turn's rotation at `pos`; the next call starts one further. */
  writeRotated(out: Buffer, pos: number, n: number): void {
    if (n <= 0) return;
    const start = this.turn % this.count;
    this.turn = (start + 1) % this.count;
    const head = Math.min(n, this.count - start);
    copyBytes(this.bytes, start * this.recordLength, (start + head) * this.recordLength, out, pos);
    if (head < n) copyBytes(this.bytes, 0, (n - head) * this.recordLength, out, pos + head * this.recordLength);
  }
}
