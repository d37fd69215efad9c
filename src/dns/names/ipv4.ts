import { isIPv4 } from 'node:net';

/** An IPv4 address as an unsigned 32-bit number, or -1 if `addr` is not one. */
export function ipv4ToInt(addr: string): number {
  if (!isIPv4(addr)) return -1;
  let n = 0;
  for (const part of addr.split('.')) n = n * 256 + Number(part);
  return n;
}

/** "10.0.1.7/24" → "10.0.1.7" (the table stores addresses with their prefix length). */
export const stripPrefix = (cidr: string): string => cidr.split('/')[0]!;

export interface Ipv4Subnet {
  base: number;
  /** Number of addresses in the subnet. */
  size: number;
}

export function parseSubnet(cidr: string): Ipv4Subnet | undefined {
  const [addr, bits] = cidr.split('/');
  const prefix = Number(bits);
  const n = ipv4ToInt(addr ?? '');
  if (n < 0 || !Number.isInteger(prefix) || prefix < 0 || prefix > 32) return undefined;
  const size = 2 ** (32 - prefix);
  return { base: n - (n % size), size };
}

export const inSubnet = (ip: number, s: Ipv4Subnet): boolean => ip >= s.base && ip < s.base + s.size;

/** "10.0.1.7" → "7.1.0.10.in-addr.arpa", the name a PTR query asks for. */
export const reverseName = (addr: string): string => `${addr.split('.').reverse().join('.')}.in-addr.arpa`;

const REVERSE_SUFFIX = '.in-addr.arpa';

/** The address a lowercased reverse name stands for (as a number), or -1 if it names none. */
export function reverseNameToInt(name: string): number {
  if (!name.endsWith(REVERSE_SUFFIX)) return -1;
  const parts = name.slice(0, -REVERSE_SUFFIX.length).split('.');
  if (parts.length !== 4) return -1;
  return ipv4ToInt(parts.reverse().join('.'));
}
