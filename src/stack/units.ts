import type { Field } from './field.js';

const DURATION_UNITS: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** A Go duration (`1m30s`, `500ms`, `10s`) in nanoseconds, as compose durations are. */
export function duration(f: Field): number {
  const s = f.string().trim();
  if (s === '0') return 0;
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let end = 0;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    total += Number(m[1]) * DURATION_UNITS[m[2]!]!;
    end = re.lastIndex;
  }
  if (s === '' || end !== s.length) f.fail(`invalid duration "${s}": use a number with a unit, e.g. 10s, 1m30s, 500ms`);
  return Math.round(total);
}

const BYTE_UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };

/** A size (`512M`, `1g`, `1024`, `100kb`) in bytes, binary units as Docker's RAMInBytes. */
export function bytes(f: Field): number {
  if (typeof f.value === 'number') return f.int();
  const m = /^(\d+(?:\.\d+)?)\s*([kmgtp]?)b?$/i.exec(f.string().trim());
  if (!m) f.fail(`invalid size "${f.string()}": use a number with an optional unit, e.g. 512M or 1G`);
  return Math.round(Number(m[1]) * BYTE_UNITS[m[2]!.toLowerCase()]!);
}

/** `cpus: '0.5'` in NanoCPUs. */
export function nanoCpus(f: Field): number {
  const n = f.number();
  if (n < 0) f.fail(`must not be negative, not ${n}`);
  return Math.round(n * 1e9);
}

/** Splits a command string as a POSIX shell would (quotes and backslashes), without expanding anything. */
export function shellSplit(f: Field): string[] {
  const s = f.string();
  const out: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else cur += c;
    } else if (quote === '"') {
      if (c === '"') quote = undefined;
      else if (c === '\\' && i + 1 < s.length && '"\\$`'.includes(s[i + 1]!)) cur += s[++i];
      else cur += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < s.length) {
      cur += s[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) out.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (quote) f.fail(`unterminated ${quote} quote in "${s}"`);
  if (inWord) out.push(cur);
  return out;
}

/** `command:` / `entrypoint:`: a string split like a shell, or a list as is. */
export const commandLine = (f: Field): string[] => (Array.isArray(f.value) ? f.items().map((i) => i.string()) : shellSplit(f));
