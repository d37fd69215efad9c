import { RRType } from '../../../src/dns/wire/constants.js';
import { serializeMessage } from '../../../src/dns/wire/serialize.js';
import { query } from './client.js';
import { Prng } from '../../sim/prng.js';

/** The simulation's seeded PRNG as a function, so a failing corpus can be replayed from its seed. */
export function prng(seed: number): () => number {
  const p = new Prng(seed);
  return () => p.next();
}

const VALID = [
  serializeMessage(query('web')),
  serializeMessage(query('tasks.web.appnet', RRType.A, { udpSize: 4096 })),
  serializeMessage(query('11.1.0.10.in-addr.arpa', RRType.PTR)),
  serializeMessage(query('www.external.test', RRType.AAAA, { udpSize: 1232 })),
  serializeMessage(query('web.1.aaa', RRType.ANY)),
];

/**
 * Bad and odd packets for the server, from `seed`: random bytes, mutated valid queries (bytes
 * overwritten, bits flipped, bytes inserted or removed), truncations, random section counts,
 * compression pointers to themselves, forward and in loops, over-long labels and names, and
 * oversized packets. Some mutations stay valid queries, which is fine: they must be answered.
 */
export function* fuzzCorpus(seed: number, count: number): Generator<Buffer> {
  const rnd = prng(seed);
  const int = (n: number): number => Math.floor(rnd() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  const header = (): Buffer => {
    const h = Buffer.alloc(12);
    h.writeUInt16BE(int(0x10000), 0);
    h.writeUInt16BE(int(2) ? 0x0100 : int(0x10000) & 0x7fff, 2);
    for (let i = 4; i < 12; i += 2) h.writeUInt16BE(int(4) ? int(3) : int(0x10000), i);
    return h;
  };
  const q = Buffer.from([0, 1, 0, 1]);
  const kinds: (() => Buffer)[] = [
    () => {
      const b = Buffer.alloc(int(600));
      for (let i = 0; i < b.length; i++) b[i] = int(256);
      return b;
    },
    () => {
      const b = Buffer.from(pick(VALID));
      for (let n = 1 + int(4); n > 0; n--) b[int(b.length)] = int(256);
      return b;
    },
    () => {
      const b = Buffer.from(pick(VALID));
      b[int(b.length)]! ^= 1 << int(8);
      return b;
    },
    () => {
      const b = pick(VALID);
      const at = int(b.length);
      return int(2) ? Buffer.concat([b.subarray(0, at), Buffer.from([int(256)]), b.subarray(at)]) : Buffer.concat([b.subarray(0, at), b.subarray(at + 1)]);
    },
    () => pick(VALID).subarray(0, int(pick(VALID).length)),
    () => {
      const b = Buffer.from(pick(VALID));
      for (let i = 4; i < 12; i += 2) b.writeUInt16BE(int(3), i);
      return b;
    },
    () => Buffer.concat([header(), Buffer.from([0xc0, 12]), q]),
    () => Buffer.concat([header(), Buffer.from([0xc0 | int(64), int(256)]), q]),
    () => Buffer.concat([header(), Buffer.from([1, 0x61, 0xc0, 12]), q]),
    () => Buffer.concat([header(), Buffer.from([1, 0x61, 0xc0, 20]), q, Buffer.from([0xc0, 12]), q]),
    () => Buffer.concat([header(), Buffer.from([64 + int(192)]), Buffer.alloc(70, 0x61), Buffer.from([0]), q]),
    () => Buffer.concat([header(), ...Array.from({ length: 5 }, () => Buffer.concat([Buffer.from([60]), Buffer.alloc(60, 0x62)])), Buffer.from([0]), q]),
    () => Buffer.concat([pick(VALID), Buffer.alloc(int(8000))]),
    () => header(),
  ];
  for (let i = 0; i < count; i++) yield pick(kinds)();
}
