import { invalidArgument } from '../../util/errors.js';
import type { Labels } from '../types.js';

/** Docker's `filters` query: each filter name with its values (values of one name are OR-ed). */
export type Filters = ReadonlyMap<string, readonly string[]>;

export const NO_FILTERS: Filters = new Map();

/**
 * Parses the `filters` query parameter: `{"name":{"value":true}}`, or the older
 * `{"name":["value"]}` form that Docker still accepts.
 */
export function parseFilters(raw: string | null | undefined): Filters {
  if (raw === null || raw === undefined || raw === '') return NO_FILTERS;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw invalidArgument(`Invalid filter '${raw}': filters must be JSON, e.g. {"name":{"web":true}}`);
  }
  if (!isPlainObject(parsed)) throw invalidArgument(`Invalid filter '${raw}': filters must be a JSON object`);
  const out = new Map<string, string[]>();
  for (const [name, value] of Object.entries(parsed)) {
    if (Array.isArray(value) && value.every((v) => typeof v === 'string')) out.set(name, [...value]);
    else if (isPlainObject(value) && Object.values(value).every((v) => typeof v === 'boolean')) out.set(name, Object.keys(value));
    else throw invalidArgument(`Invalid filter '${raw}': the values of '${name}' must be {"value":true} or ["value"]`);
  }
  return out;
}

/** Refuses filter names an endpoint does not know, with Docker's wording. */
export function checkFilterNames(filters: Filters, accepted: readonly string[]): void {
  for (const name of filters.keys()) if (!accepted.includes(name)) throw invalidArgument(`Invalid filter '${name}'`);
}

export const filterValues = (filters: Filters, name: string): readonly string[] => filters.get(name) ?? [];

/** True when no values are given, or `value` equals one of them. */
export const matchesExact = (value: string | undefined, wanted: readonly string[]): boolean =>
  wanted.length === 0 || (value !== undefined && wanted.includes(value));

/** True when no prefixes are given, or `value` starts with one of them. */
export const matchesPrefix = (value: string | undefined, prefixes: readonly string[]): boolean =>
  prefixes.length === 0 || (value !== undefined && prefixes.some((p) => value.startsWith(p)));

/** Docker's `Match` (networks): an exact value, or a regular expression found in `value`. */
export function matchesPattern(value: string, patterns: readonly string[]): boolean {
  if (patterns.length === 0 || patterns.includes(value)) return true;
  return patterns.some((p) => {
    try {
      return new RegExp(p).test(value);
    } catch {
      return false;
    }
  });
}

/** Label conditions `key` (present) or `key=value` (equal); all must hold. */
export function matchesLabels(labels: Labels | null | undefined, conditions: readonly string[]): boolean {
  for (const cond of conditions) {
    const eq = cond.indexOf('=');
    const key = eq < 0 ? cond : cond.slice(0, eq);
    if (!labels || !Object.hasOwn(labels, key)) return false;
    if (eq >= 0 && labels[key] !== cond.slice(eq + 1)) return false;
  }
  return true;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
