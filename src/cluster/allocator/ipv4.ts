import { invalidArgument } from '../../util/errors.js';

/** IPv4 arithmetic for IPAM: addresses as unsigned 32-bit numbers. */

export interface Cidr {
  base: number;
  bits: number;
}

export function ipToInt(ip: string): number {
  const parts = ip.split('.');
  if (parts.length !== 4) throw invalidArgument(`invalid IPv4 address "${ip}"`);
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) throw invalidArgument(`invalid IPv4 address "${ip}"`);
    n = n * 256 + Number(p);
  }
  return n >>> 0;
}

export function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export function parseCidr(cidr: string): Cidr {
  const [ip, bitsText, extra] = cidr.split('/');
  const bits = Number(bitsText);
  if (extra !== undefined || !/^\d{1,2}$/.test(bitsText ?? '') || bits > 32) throw invalidArgument(`invalid CIDR address: ${cidr}`);
  const mask = maskOf(bits);
  return { base: (ipToInt(ip) & mask) >>> 0, bits };
}

export const maskOf = (bits: number): number => (bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0);

export const cidrSize = (c: Cidr): number => 2 ** (32 - c.bits);

export const formatCidr = (c: Cidr): string => `${intToIp(c.base)}/${c.bits}`;

export function contains(c: Cidr, ip: number): boolean {
  return ip >= c.base && ip < c.base + cidrSize(c);
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  return a.base < b.base + cidrSize(b) && b.base < a.base + cidrSize(a);
}

/** The first subnet of `size` bits inside `pool` that overlaps none of `used`. */
export function firstFreeSubnet(pool: Cidr, size: number, used: Cidr[]): Cidr | undefined {
  const step = 2 ** (32 - size);
  for (let base = pool.base; base + step <= pool.base + cidrSize(pool); base += step) {
    const candidate = { base, bits: size };
    if (!used.some((u) => overlaps(u, candidate))) return candidate;
  }
  return undefined;
}
