import { parseGoDuration } from '../../util/duration.js';
import type { PortLabel } from './port-labels.js';

/** A Go duration (`1h30m`, `45s`, `2.5m`) of whole seconds, at least one, in seconds; an Error naming what is wrong. */
export function parseDurationSeconds(text: string): number | Error {
  let ns: number;
  try {
    ns = parseGoDuration(text);
  } catch {
    return new Error(`"${text}" is not a duration: use a number and a unit s, m or h, e.g. 30s, 10m, 1h30m`);
  }
  const seconds = ns / 1e9;
  if (!Number.isInteger(seconds) || seconds < 1) return new Error(`"${text}" is not a whole number of seconds of at least 1s`);
  return seconds;
}

/**
 * Client-IP affinity of a published port, opted into per port with a service label:
 * `shoal.affinity.<published port>=<Go duration>` (`10m`, `90s`, `1h30m`), in seconds. A client address's new
 * connections to that port go to the task its first one went to, until the client opened none for
 * that long (or the task left the table). Docker's PortConfig has no field for it, hence a label.
 */
export const AFFINITY_LABEL: PortLabel<number> = { prefix: 'shoal.affinity.', parse: parseDurationSeconds };
