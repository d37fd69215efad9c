import { createHash } from 'node:crypto';
import { randomBytes } from 'node:crypto';
import { invalidArgument } from '../../util/errors.js';

/**
 * Join tokens in Swarm's format: `SWMTKN-1-<digest of the cluster's CA, base36, 50 chars>-<secret, 25 chars>`.
 * The digest lets a joining host check the manager's CA before it sends anything; the secret says
 * which role it may join as. Rotation changes the secret only.
 */
export interface JoinToken {
  caDigest: string;
  secret: string;
}

const PREFIX = 'SWMTKN';
const VERSION = '1';

function base36(buf: Buffer, width: number): string {
  return BigInt('0x' + buf.toString('hex')).toString(36).padStart(width, '0');
}

/** The digest part, from the CA's DER bytes (the certificate; until there is one, its public key). */
export const caDigest = (caDer: Buffer): string => base36(createHash('sha256').update(caDer).digest(), 50);

export const newTokenSecret = (): string => base36(randomBytes(16), 25);

export const formatJoinToken = (t: JoinToken): string => `${PREFIX}-${VERSION}-${t.caDigest}-${t.secret}`;

export function parseJoinToken(token: string): JoinToken {
  const parts = token.split('-');
  if (parts.length !== 4 || parts[0] !== PREFIX || parts[1] !== VERSION || !/^[0-9a-z]{50}$/.test(parts[2]) || !/^[0-9a-z]{25}$/.test(parts[3])) {
    throw invalidArgument('invalid join token: it must look like SWMTKN-1-<50 characters>-<25 characters>; get one with "docker swarm join-token worker" on a manager');
  }
  return { caDigest: parts[2], secret: parts[3] };
}

/** A new token for the same CA: old ones stop admitting new hosts. */
export const rotateJoinToken = (token: string): string => formatJoinToken({ ...parseJoinToken(token), secret: newTokenSecret() });

/** A worker and a manager token, new secrets, for the root CA with these DER bytes. */
export const newJoinTokens = (caDer: Buffer): { Worker: string; Manager: string } => {
  const digest = caDigest(caDer);
  return { Worker: formatJoinToken({ caDigest: digest, secret: newTokenSecret() }), Manager: formatJoinToken({ caDigest: digest, secret: newTokenSecret() }) };
};
