import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Every lab name starts with this, so leftovers of crashed runs can be found by name alone. */
export const LAB_BASE_PREFIX = 'shl';
/** Owner markers and persistent UTS namespaces of running labs, one folder per lab prefix. */
export const LAB_STATE_ROOT = '/run/shoal-lab';

const PREFIX_SHAPE = /^shl[a-z0-9]{1,7}$/;

/** A fresh per-run prefix: `shl` and four random base36 characters. */
export function newLabPrefix(): string {
  const alphabet = '0123456789abcdefghijklmnopqrstuvwxyz';
  return LAB_BASE_PREFIX + [...randomBytes(4)].map((b) => alphabet[b % 36]).join('');
}

export const isLabPrefix = (s: string): boolean => PREFIX_SHAPE.test(s);

export function checkLabPrefix(prefix: string): string {
  if (!isLabPrefix(prefix)) throw new Error(`lab prefix ${prefix} must match ${PREFIX_SHAPE}`);
  return prefix;
}

/** The lab prefix a namespace name belongs to, if it is a lab's (`<prefix>-<host>`). */
export function prefixOfNetns(name: string): string | undefined {
  const m = /^(shl[a-z0-9]{1,7})-[a-z0-9-]+$/.exec(name);
  return m?.[1];
}

export const netnsName = (prefix: string, host: string): string => `${prefix}-${host}`;
export const stateDir = (prefix: string): string => join(LAB_STATE_ROOT, prefix);
/** Logs, data dirs and sockets of one lab; removed with it. */
export const workDir = (prefix: string): string => join(tmpdir(), `shoal-lab-${prefix}`);

/**
 * The first three octets of a lab's underlay /24 (10.<a>.<b>.0/24), derived from the prefix. Each lab's underlay lives in
 * its own namespaces, so equal subnets would not collide; distinct ones keep traces readable.
 */
export function underlayBase(prefix: string): string {
  let h = 0;
  for (const c of prefix) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return `10.${100 + (h % 100)}.${(h >>> 8) % 256}`;
}
