import { invalidArgument } from '../util/errors.js';

/** Docker's BoolValue: anything but "", "0", "no", "false" and "none" is true. */
export function boolParam(query: URLSearchParams, name: string): boolean {
  const v = (query.get(name) ?? '').trim().toLowerCase();
  return !(v === '' || v === '0' || v === 'no' || v === 'false' || v === 'none');
}

/** The `version` of an update, with Docker's wording when it is missing or not a number. */
export function versionParam(query: URLSearchParams, kind: string): number {
  const raw = query.get('version') ?? '';
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(Number(raw))) {
    throw invalidArgument(`invalid ${kind} version '${raw}': strconv.ParseUint: parsing "${raw}": invalid syntax`);
  }
  return Number(raw);
}
