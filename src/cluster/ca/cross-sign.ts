import * as x509 from '@peculiar/x509';
import { newHexId } from '../../util/ids.js';
import { backdated, importSigningKey, pemText, keyIdentifier, SIGNING_ALGORITHM, type RootCA } from './certificates.js';

/**
 * The new root of a root rotation, signed by the old one: same name and key as the new root, so
 * a certificate the new key issued chains to either root. Hosts that still trust only the old
 * root accept peers whose chains carry it; it lasts no longer than either root.
 */
export async function crossSignRoot(oldRoot: RootCA, newRootPem: string, now = Date.now()): Promise<string> {
  const signer = new x509.X509Certificate(oldRoot.certPem);
  const target = new x509.X509Certificate(newRootPem);
  const notAfter = Math.min(signer.notAfter.getTime(), target.notAfter.getTime());
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: newHexId().slice(0, 32),
    subject: target.subjectName,
    issuer: signer.subjectName,
    notBefore: backdated(now),
    notAfter: new Date(notAfter),
    signingKey: await importSigningKey(oldRoot.keyPem),
    publicKey: target.publicKey,
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 1, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      new x509.SubjectKeyIdentifierExtension(await keyIdentifier(target)),
      new x509.AuthorityKeyIdentifierExtension(await keyIdentifier(signer)),
    ],
  });
  return pemText(cert);
}
