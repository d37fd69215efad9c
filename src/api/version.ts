import { invalidArgument } from '../util/errors.js';

/** The Engine API version Shoal implements (Docker 20.10's), and the oldest it answers. */
export const API_VERSION = '1.41';
export const MIN_API_VERSION = '1.12';

/** Compares dotted versions numerically: negative, zero or positive. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * Splits `/v1.41/services` into the version and the path, and refuses versions outside
 * 1.12–1.41 with Docker's wording. Unversioned paths are served as the current version.
 */
export function splitVersion(pathname: string): { version: string; path: string } {
  const m = /^\/v([0-9.]+)(\/.*)$/.exec(pathname);
  if (!m) return { version: API_VERSION, path: pathname };
  const version = m[1]!;
  if (compareVersions(version, MIN_API_VERSION) < 0) {
    throw invalidArgument(`client version ${version} is too old. Minimum supported API version is ${MIN_API_VERSION}, please upgrade your client to a newer version`);
  }
  if (compareVersions(version, API_VERSION) > 0) {
    throw invalidArgument(`client version ${version} is too new. Maximum supported API version is ${API_VERSION}`);
  }
  return { version, path: m[2]! };
}
