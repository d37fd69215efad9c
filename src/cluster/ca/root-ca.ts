import { X509Certificate } from 'node:crypto';
import type { ClusterRootCA, NodeObject } from '../types.js';
import { subjectDer, type RootCA } from './certificates.js';
import { parsePems, signedBy, splitPems } from './chain.js';

type TLSInfo = NodeObject['Description']['TLSInfo'];

/** A root CA with its key as the swarm keeps it, before any rotation. */
export const asClusterRootCA = (root: RootCA): ClusterRootCA => ({ CACert: root.certPem, CAKey: root.keyPem, LastForcedRotation: 0 });

/** The roots hosts trust: the current one, and during a rotation the new one too (PEM bundle, current first). */
export const trustedRoots = (ca: ClusterRootCA): string => `${ca.CACert.trim()}\n${ca.RootRotation ? `${ca.RootRotation.CACert.trim()}\n` : ''}`;

/** The root that signs node certificates now: the new one while a rotation runs. */
export const signingRoot = (ca: ClusterRootCA): { certPem: string; keyPem?: string; intermediatePem: string } =>
  ca.RootRotation ? { certPem: ca.RootRotation.CACert, keyPem: ca.RootRotation.CAKey, intermediatePem: ca.RootRotation.CrossSignedCACert } : { certPem: ca.CACert, keyPem: ca.CAKey, intermediatePem: '' };

/** `TLSInfo` as Docker shows it: a trust root, and the subject and public key (base64 DER) of the certificate issuer. */
export function tlsInfo(trustRootPem: string, issuerPem = trustRootPem): TLSInfo {
  const issuer = new X509Certificate(issuerPem);
  return {
    TrustRoot: trustRootPem,
    CertIssuerSubject: subjectDer(issuer.raw).toString('base64'),
    CertIssuerPublicKey: issuer.publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
  };
}

/** The swarm's `TLSInfo`: its trust root, and the issuer every node should have its certificate from (the new root during a rotation). */
export const clusterTLSInfo = (ca: ClusterRootCA): TLSInfo => tlsInfo(ca.CACert, signingRoot(ca).certPem);

/** A host's own `TLSInfo`: the first root it trusts, and whichever certificate signed its own (a root, or the cross-signed new root). */
export function nodeTLSInfo(certPem: string, trustPem: string): TLSInfo {
  const [leaf, ...intermediates] = parsePems(certPem);
  const roots = parsePems(trustPem);
  const issuer = (leaf && [...intermediates, ...roots].find((c) => signedBy(leaf, c))) ?? roots[0]!;
  return tlsInfo(splitPems(trustPem)[0]!, issuer.toString());
}
