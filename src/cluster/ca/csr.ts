import { webcrypto, createPublicKey } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { ShoalError } from '../../util/errors.js';
import { pemBody, pemText, SIGNING_ALGORITHM } from './certificates.js';

const EC = { name: 'ECDSA', namedCurve: 'P-256' } as const;

/**
 * A certificate signing request for the host's key (PKCS#10 PEM). The managers decide the
 * names in the certificate; the request proves the host holds the key.
 */
export async function createCsr(privateKeyPem: string): Promise<string> {
  const privateKey = await webcrypto.subtle.importKey('pkcs8', pemBody(privateKeyPem), EC, true, ['sign']);
  const spki = createPublicKey(privateKeyPem).export({ type: 'spki', format: 'der' });
  const publicKey = await webcrypto.subtle.importKey('spki', spki, EC, true, ['verify']);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name: 'CN=swarm-node', keys: { privateKey, publicKey } as CryptoKeyPair, signingAlgorithm: SIGNING_ALGORITHM });
  return pemText(csr);
}

/** The public key (SPKI PEM) of a request whose signature checks; throws `invalid_argument` otherwise. */
export async function csrPublicKey(csrPem: string): Promise<string> {
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(csrPem);
  } catch {
    throw new ShoalError('invalid_argument', 'the certificate signing request is not a PEM PKCS#10 request');
  }
  if (!(await csr.verify())) throw new ShoalError('invalid_argument', 'the certificate signing request is not signed by its own key');
  return createPublicKey({ key: Buffer.from(csr.publicKey.rawData), format: 'der', type: 'spki' }).export({ type: 'spki', format: 'pem' }) as string;
}
