import type { Labels } from '../types.js';

/**
 * Client-IP affinity of a published port, opted into per port with a service label:
 * `shoal.affinity.<published port>=<Go duration>` (`10m`, `90s`, `1h30m`). A client address's new
 * connections to that port go to the task its first one went to, until the client opened none for
 * that long (or the task left the table). Docker's PortConfig has no field for it, hence a label.
 */
export const AFFINITY_LABEL_PREFIX = 'shoal.affinity.';

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600 };

/** A Go-style duration of whole seconds, hours, minutes (`1h30m`, `45s`, `2.5m`) in seconds; an Error naming what is wrong. */
export function parseDurationSeconds(text: string): number | Error {
  const parts = /^(?:\d+(?:\.\d+)?[hms])+$/.test(text) ? [...text.matchAll(/(\d+(?:\.\d+)?)([hms])/g)] : [];
  if (parts.length === 0) return new Error(`"${text}" is not a duration: use a number and a unit s, m or h, e.g. 30s, 10m, 1h30m`);
  const seconds = parts.reduce((sum, [, n, unit]) => sum + Number(n) * UNITS[unit!]!, 0);
  if (!Number.isInteger(seconds) || seconds < 1) return new Error(`"${text}" is not a whole number of seconds of at least 1s`);
  return seconds;
}

/** The affinity timeouts a service's labels ask for, in seconds by published port (labels that do not parse are left out: the managers refuse them). */
export function affinityByPort(labels: Labels | undefined): Map<number, number> {
  const out = new Map<number, number>();
  for (const [key, value] of Object.entries(labels ?? {})) {
    if (!key.startsWith(AFFINITY_LABEL_PREFIX)) continue;
    const port = Number(key.slice(AFFINITY_LABEL_PREFIX.length));
    const seconds = parseDurationSeconds(value);
    if (Number.isInteger(port) && typeof seconds === 'number') out.set(port, seconds);
  }
  return out;
}
