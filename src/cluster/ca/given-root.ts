import { X509Certificate, createPrivateKey, createPublicKey } from 'node:crypto';
import { invalidArgument } from '../../util/errors.js';
import { inDate, splitPems } from './chain.js';

/**
 * Checks a root CA an operator gives (`swarm ca --rotate --ca-cert --ca-key`, or an external CA's
 * `cacert=`): one CA certificate, in date, and when a key is given, its key (ECDSA P-256, as
 * swarm keys are). Returns the normalised PEMs (key as PKCS#8).
 */
export function checkGivenRoot(certPem: string, keyPem?: string, now = Date.now()): { certPem: string; keyPem?: string } {
  const pems = splitPems(certPem);
  if (pems.length !== 1) throw invalidArgument(`the CA certificate must be exactly one PEM certificate (found ${pems.length})`);
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(pems[0]!);
  } catch {
    throw invalidArgument('the CA certificate is not a valid PEM certificate');
  }
  if (!cert.ca) throw invalidArgument(`the certificate "${cert.subject}" is not a CA certificate (basic constraints CA:TRUE)`);
  if (!inDate(cert, now)) throw invalidArgument(`the CA certificate is not valid now (valid from ${cert.validFrom} to ${cert.validTo})`);
  if (!cert.verify(cert.publicKey)) throw invalidArgument('the CA certificate must be a self-signed root');
  if (keyPem === undefined) return { certPem: cert.toString() };
  let key;
  try {
    key = createPrivateKey(keyPem);
  } catch {
    throw invalidArgument('the CA key is not a valid PEM private key (an encrypted key must be decrypted first)');
  }
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') throw invalidArgument('the CA key must be an ECDSA P-256 key');
  const ours = createPublicKey(key).export({ type: 'spki', format: 'der' });
  if (!ours.equals(cert.publicKey.export({ type: 'spki', format: 'der' }))) throw invalidArgument('the CA key does not match the CA certificate');
  return { certPem: cert.toString(), keyPem: key.export({ type: 'pkcs8', format: 'pem' }) as string };
}
