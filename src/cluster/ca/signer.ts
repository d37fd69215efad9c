import { X509Certificate, createPublicKey } from 'node:crypto';
import { ShoalError, errorMessage } from '../../util/errors.js';
import type { ClusterRootCA, ExternalCA } from '../types.js';
import { issueNodeCertificate, roleOU, verifyNodeCertificate, type NodeRole } from './certificates.js';
import { samePems } from './chain.js';
import { csrPublicKey } from './csr.js';
import { cfsslSign, signUrl, type ClientIdentity } from './external-ca.js';
import { signingRoot, trustedRoots } from './root-ca.js';

export interface NodeCertRequest {
  nodeId: string;
  role: NodeRole;
  clusterId: string;
  /** The host's PKCS#10 request (it keeps its key). */
  csrPem: string;
  validityMs: number;
}

export interface SignedNodeCert {
  /** The node certificate, followed by the cross-signed new root during a rotation. */
  certPem: string;
  /** The roots the host should trust. */
  trustPem: string;
}

/** The external CAs that sign with `rootPem`: those that name it, or name no root when it is the swarm's current one. */
export const externalCAsFor = (rootPem: string, currentRootPem: string, cas: ExternalCA[] = []): ExternalCA[] =>
  cas.filter((ca) => samePems(ca.CACert?.trim() ? ca.CACert : currentRootPem, rootPem));

/**
 * Signs a host's certificate with the swarm's signing root: through its external CAs when any
 * sign with it (the first that answers; `client` is the manager's own certificate, shown to them),
 * else with the key the swarm holds.
 */
export async function signNodeCertificate(root: ClusterRootCA, externalCAs: ExternalCA[] | undefined, req: NodeCertRequest, client?: ClientIdentity): Promise<SignedNodeCert> {
  const publicKeyPem = await csrPublicKey(req.csrPem);
  const signer = signingRoot(root);
  const external = externalCAsFor(signer.certPem, root.CACert, externalCAs);
  let leafPem: string;
  if (external.length) leafPem = await signExternally(external, signer.certPem, req, publicKeyPem, client);
  else if (signer.keyPem) leafPem = await issueNodeCertificate({ certPem: signer.certPem, keyPem: signer.keyPem }, { ...req, publicKeyPem });
  else throw new ShoalError('failed_precondition', 'the swarm holds no key for its root CA and no external CA signs with it: add one with "docker swarm update --external-ca protocol=cfssl,url=<url>,cacert=<root>"');
  return { certPem: `${leafPem.trim()}\n${signer.intermediatePem}`, trustPem: trustedRoots(root) };
}

/** Tries each external CA in turn; what comes back must chain to the root and carry the host's key and names. */
async function signExternally(cas: ExternalCA[], rootPem: string, req: NodeCertRequest, publicKeyPem: string, client: ClientIdentity | undefined): Promise<string> {
  const failures: string[] = [];
  for (const ca of cas) {
    try {
      const certPem = await cfsslSign(ca, rootPem, { csrPem: req.csrPem, cn: req.nodeId, ou: roleOU(req.role), o: req.clusterId }, client);
      const id = verifyNodeCertificate(certPem, rootPem);
      const key = new X509Certificate(certPem).publicKey.export({ type: 'spki', format: 'pem' });
      if (id.nodeId !== req.nodeId || id.role !== req.role || id.clusterId !== req.clusterId || key !== createPublicKey(publicKeyPem).export({ type: 'spki', format: 'pem' })) {
        throw new ShoalError('unavailable', `the external CA at ${signUrl(ca).href} returned a certificate for other names or another key`);
      }
      return certPem;
    } catch (err) {
      failures.push(errorMessage(err));
    }
  }
  throw new ShoalError('unavailable', failures.join('; '));
}
