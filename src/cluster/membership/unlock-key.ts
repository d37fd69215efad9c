import { randomBytes } from 'node:crypto';
import { invalidArgument } from '../../util/errors.js';

const PREFIX = 'SWMKEY-1-';

/** An unlock key as Docker prints it: `SWMKEY-1-` and 32 random bytes in unpadded base64. */
export const newUnlockKey = (): string => `${PREFIX}${randomBytes(32).toString('base64').replace(/=+$/, '')}`;

/** Checks the shape of a key given to `swarm unlock`, with swarmkit's words. */
export function checkUnlockKey(key: string): void {
  const body = key.startsWith(PREFIX) ? key.slice(PREFIX.length) : '';
  if (!/^[A-Za-z0-9+/]{43}$/.test(body)) throw invalidArgument('invalid key string');
}
