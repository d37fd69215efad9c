import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

/**
 * A 25-character lowercase base36 ID, the shape swarmkit gives nodes, services, tasks and
 * networks (a 128-bit random number written in base 36, zero-padded).
 */
export function newId(): string {
  let n = BigInt('0x' + randomBytes(16).toString('hex'));
  let out = '';
  while (n > 0n) {
    out = ALPHABET[Number(n % 36n)] + out;
    n /= 36n;
  }
  return out.padStart(25, '0').slice(-25);
}

/** A random secret of base36 characters, as in join tokens. */
export function randomBase36(length: number): string {
  const bytes = randomBytes(length);
  let out = '';
  for (const b of bytes) out += ALPHABET[b % 36];
  return out;
}

/** A 64-character hex ID, as Docker gives images and containers. */
export function newHexId(): string {
  return randomBytes(32).toString('hex');
}
