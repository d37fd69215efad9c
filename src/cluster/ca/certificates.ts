import { webcrypto, X509Certificate, generateKeyPairSync, createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { ShoalError } from '../../util/errors.js';
import { newHexId } from '../../util/ids.js';
import { chainToRoot, inDate, parsePems } from './chain.js';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const EC = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGNING = { name: 'ECDSA', hash: 'SHA-256' } as const;
const CA_VALIDITY_MS = 20 * 365 * 24 * 3600 * 1000;
/** Certificates start a little in the past, so hosts with slightly slow clocks accept them. */
const BACKDATE_MS = 5 * 60 * 1000;

export type NodeRole = 'manager' | 'worker';
/** The OU of a node certificate, as swarmkit names roles. */
export const roleOU = (role: NodeRole): string => `swarm-${role}`;
/** The name a manager's certificate answers to, which clients check (its address is not in it). */
export const MANAGER_SERVER_NAME = 'swarm-manager';

export interface RootCA {
  certPem: string;
  /** PKCS#8 PEM; kept in the cluster store, never returned by the API. */
  keyPem: string;
}

/** The key identifier of a CA certificate: its own extension, else the SHA-1 of its public key (RFC 5280 method 1). */
export async function keyIdentifier(cert: x509.X509Certificate): Promise<string> {
  const own = cert.getExtension(x509.SubjectKeyIdentifierExtension);
  return own ? own.keyId : (await x509.SubjectKeyIdentifierExtension.create(cert.publicKey)).keyId;
}

/** Imports a CA's PKCS#8 PEM key for signing (ECDSA P-256, as swarm CAs are). */
export const importSigningKey = (keyPem: string): Promise<CryptoKey> => webcrypto.subtle.importKey('pkcs8', pemBody(keyPem), EC, false, ['sign']) as Promise<CryptoKey>;

/** Certificates are signed with ECDSA over SHA-256. */
export const SIGNING_ALGORITHM = SIGNING;
/** How far back certificates start (slow clocks). */
export const backdated = (now: number): Date => new Date(now - BACKDATE_MS);

export interface NodeIdentity {
  nodeId: string;
  role: NodeRole;
  clusterId: string;
  notAfter: Date;
}

/** A new root CA: ECDSA P-256, self-signed, CN=swarm-ca, valid 20 years. */
export async function createRootCA(now = Date.now()): Promise<RootCA> {
  const keys = await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: newHexId().slice(0, 32),
    name: 'CN=swarm-ca',
    notBefore: new Date(now - BACKDATE_MS),
    notAfter: new Date(now + CA_VALIDITY_MS),
    keys,
    signingAlgorithm: SIGNING,
    extensions: [
      new x509.BasicConstraintsExtension(true, 1, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  return { certPem: pemText(cert), keyPem: createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' }).export({ type: 'pkcs8', format: 'pem' }) as string };
}

/** A node's own key pair (the private key never leaves the node). */
export function generateNodeKey(): { publicKeyPem: string; privateKeyPem: string } {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }) as string,
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
  };
}

/**
 * Signs a node certificate: CN = node ID, OU = role, O = cluster ID, usable for both sides of
 * mutual TLS. Managers' certificates also name `swarm-manager`, which clients check.
 */
export async function issueNodeCertificate(
  ca: RootCA,
  req: { nodeId: string; role: NodeRole; clusterId: string; publicKeyPem: string; validityMs: number; now?: number },
): Promise<string> {
  const now = req.now ?? Date.now();
  const caCert = new x509.X509Certificate(ca.certPem);
  const caKey = await importSigningKey(ca.keyPem);
  const spki = createPublicKey(req.publicKeyPem).export({ type: 'spki', format: 'der' });
  const publicKey = await webcrypto.subtle.importKey('spki', spki, EC, true, ['verify']);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: newHexId().slice(0, 32),
    subject: `CN=${req.nodeId}, OU=${roleOU(req.role)}, O=${req.clusterId}`,
    issuer: caCert.subject,
    notBefore: new Date(now - BACKDATE_MS),
    notAfter: new Date(now + req.validityMs),
    signingKey: caKey,
    publicKey,
    signingAlgorithm: SIGNING,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
      // Names the signing key, so TLS picks the right one of two roots with the same name during a root rotation.
      new x509.AuthorityKeyIdentifierExtension(await keyIdentifier(caCert)),
      new x509.SubjectAlternativeNameExtension([
        { type: 'dns', value: roleOU(req.role) },
        { type: 'dns', value: req.nodeId },
      ]),
    ],
  });
  return pemText(cert);
}

/** A certificate's PEM text, ending with a line break (so PEMs concatenate into a valid bundle). */
export const pemText = (cert: { toString(format: 'pem'): string }): string => `${cert.toString('pem').trim()}\n`;

/**
 * Checks that a node certificate chains to one of the trusted roots (a PEM bundle; during a root
 * rotation the old and the new root) and is in date, and reads the node's identity from it.
 * `cert` is DER or PEM; a PEM may carry intermediates after the leaf (the cross-signed new root).
 * Throws `unauthorized` with the reason otherwise.
 */
export function verifyNodeCertificate(cert: Buffer | string, trustedRootsPem: string, now: number | 'any-time' = Date.now()): NodeIdentity {
  const given = typeof cert === 'string' ? parsePems(cert) : [new X509Certificate(cert)];
  const leaf = given[0];
  if (!leaf) throw new ShoalError('unauthorized', 'no certificate was given');
  const at = now === 'any-time' ? Date.now() : now;
  if (!chainToRoot(leaf, given.slice(1), parsePems(trustedRootsPem), at)) throw new ShoalError('unauthorized', 'the certificate was not issued by this cluster\'s CA');
  const notAfter = new Date(leaf.validTo);
  if (now !== 'any-time' && !inDate(leaf, now)) throw new ShoalError('unauthorized', `the certificate is not valid now (valid until ${notAfter.toISOString()})`);
  const field = (key: string) => new RegExp(`(?:^|\\n)${key}=([^\\n]+)`).exec(leaf.subject)?.[1];
  const nodeId = field('CN');
  const ou = field('OU');
  const clusterId = field('O');
  if (!nodeId || !clusterId || (ou !== 'swarm-manager' && ou !== 'swarm-worker')) throw new ShoalError('unauthorized', 'the certificate does not name a swarm node');
  return { nodeId, role: ou === 'swarm-manager' ? 'manager' : 'worker', clusterId, notAfter };
}

/** DER bytes of a PEM certificate (for the join token's CA digest). */
export const certDer = (pem: string): Buffer => new X509Certificate(pem).raw;

export function pemBody(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
}

/** The DER encoding of a certificate's subject name (Docker shows it as CertIssuerSubject). */
export function subjectDer(der: Buffer): Buffer {
  return Buffer.from(new x509.X509Certificate(new Uint8Array(der)).subjectName.toArrayBuffer());
}

/**
 * When to renew a certificate: at a random point between 50% and 80% of its lifetime (so hosts
 * do not all renew at once), counted from now; 0 when that point has passed.
 */
export function renewalDelayMs(certPem: string, now: number, random = Math.random()): number {
  const cert = new X509Certificate(certPem);
  const from = new Date(cert.validFrom).getTime();
  const to = new Date(cert.validTo).getTime();
  return Math.max(0, from + (to - from) * (0.5 + 0.3 * random) - now);
}

const RENEWAL_SKEW_MS = 5 * 60 * 1000;

/** A renewal proof: the host's certificate and a signature by its key over when and for which new request (CSR). */
export function signRenewal(certPem: string, keyPem: string, csrPem: string, now = Date.now()): { certPem: string; signedAt: number; signature: string } {
  return { certPem, signedAt: now, signature: sign('sha256', Buffer.from(`${now}\n${csrPem}`), keyPem).toString('base64') };
}

/**
 * Checks a renewal proof: the certificate was issued by this CA (at any time: it may have
 * expired while the host was off), the signature is by its key, and it is recent.
 */
export function verifyRenewal(proof: { certPem: string; signedAt: number; signature: string }, csrPem: string, trustedRootsPem: string, now = Date.now()): NodeIdentity {
  const id = verifyNodeCertificate(proof.certPem, trustedRootsPem, 'any-time');
  if (Math.abs(now - proof.signedAt) > RENEWAL_SKEW_MS) throw new ShoalError('unauthorized', 'the renewal request is too old or from the future: check the host\'s clock');
  const ok = verify('sha256', Buffer.from(`${proof.signedAt}\n${csrPem}`), new X509Certificate(proof.certPem).publicKey, Buffer.from(proof.signature, 'base64'));
  if (!ok) throw new ShoalError('unauthorized', 'the renewal request is not signed by the certificate\'s key');
  return id;
}
