import { X509Certificate } from 'node:crypto';

/** The certificates in a PEM bundle, in order. */
export const splitPems = (pem: string): string[] => pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)?.map((p) => `${p}\n`) ?? [];

export const parsePems = (pem: string): X509Certificate[] => splitPems(pem).map((p) => new X509Certificate(p));

/** Whether `issuer` signed `cert`: names and key identifiers match and the signature checks. */
export const signedBy = (cert: X509Certificate, issuer: X509Certificate): boolean => cert.checkIssued(issuer) && cert.verify(issuer.publicKey);

/** Whether `now` lies within the certificate's validity. */
export const inDate = (cert: X509Certificate, now: number): boolean => now >= new Date(cert.validFrom).getTime() && now <= new Date(cert.validTo).getTime();

/** At most this many intermediates between a node certificate and a root (a root rotation adds one). */
const MAX_INTERMEDIATES = 2;

/**
 * The chain from `leaf` through the given intermediates (a cross-signed root during a root
 * rotation) to one of `roots`, leaf first, or undefined when there is none. Intermediates must be
 * CAs and in date at `now` (the leaf's own dates are the caller's business).
 */
export function chainToRoot(leaf: X509Certificate, intermediates: X509Certificate[], roots: X509Certificate[], now: number): X509Certificate[] | undefined {
  const walk = (cert: X509Certificate, path: X509Certificate[]): X509Certificate[] | undefined => {
    const root = roots.find((r) => signedBy(cert, r));
    if (root) return [...path, root];
    if (path.length > MAX_INTERMEDIATES) return undefined;
    for (const i of intermediates) {
      if (path.includes(i) || !i.ca || !inDate(i, now) || !signedBy(cert, i)) continue;
      const found = walk(i, [...path, i]);
      if (found) return found;
    }
    return undefined;
  };
  return walk(leaf, [leaf]);
}

/** Whether two PEM texts hold the same certificates (whitespace and line breaks aside). */
export const samePems = (a: string, b: string): boolean => {
  const da = parsePems(a).map((c) => c.raw.toString('base64'));
  const db = parsePems(b).map((c) => c.raw.toString('base64'));
  return da.length === db.length && da.every((d, i) => d === db[i]);
};
