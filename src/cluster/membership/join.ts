import { connect, type DetailedPeerCertificate } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { ShoalError, errorMessage } from '../../util/errors.js';
import { generateNodeKey, verifyNodeCertificate } from '../ca/certificates.js';
import { samePems, splitPems } from '../ca/chain.js';
import { createCsr } from '../ca/csr.js';
import { caDigest, parseJoinToken } from './join-token.js';
import { RpcClient, withClusterPort } from '../rpc/client.js';
import { CA_SERVICE, type IssueRequest, type IssueResponse } from '../rpc/services.js';
import { clusterClientCredentials, type NodeCredentials } from '../rpc/tls.js';

export interface JoinResult {
  identity: IssueResponse;
  credentials: NodeCredentials;
  /** The manager that admitted us. */
  manager: string;
}

/**
 * Joins a swarm: reads the manager's root certificate, checks it against the digest in the join
 * token before sending anything (no trust on first use), then asks for a node certificate with
 * the token. Tries each given manager in turn.
 */
export async function joinCluster(remoteAddrs: string[], token: string, req: Omit<IssueRequest, 'token' | 'csrPem'>): Promise<JoinResult> {
  const parsed = parseJoinToken(token);
  if (remoteAddrs.length === 0) throw new ShoalError('invalid_argument', 'give the address of a manager to join: docker swarm join --token <token> <manager-ip>:2377');
  let lastError: unknown;
  for (const raw of remoteAddrs) {
    const addr = withClusterPort(raw);
    try {
      const caCertPem = await fetchRootCertificate(addr);
      if (caDigest(new X509Certificate(caCertPem).raw) !== parsed.caDigest) {
        throw new ShoalError('invalid_argument', `the manager at ${addr} presented a root CA that does not match the join token: refusing to join (is the token from another swarm, or is something in between?)`);
      }
      const key = generateNodeKey();
      const client = new RpcClient(CA_SERVICE, addr, clusterClientCredentials(caCertPem));
      try {
        const identity = await client.call<IssueResponse>('IssueNodeCertificate', { ...req, token, csrPem: await createCsr(key.privateKeyPem) } satisfies IssueRequest);
        // The roots to trust from now on include the one the token vouches for (and, during a root rotation, the new one).
        verifyNodeCertificate(identity.certPem, caCertPem);
        if (!samePems(splitPems(identity.caCertPem)[0] ?? '', caCertPem)) throw new ShoalError('unavailable', `the manager at ${addr} sent roots that do not start with the one the join token names`);
        return { identity, credentials: { caCertPem: identity.caCertPem, certPem: identity.certPem, keyPem: key.privateKeyPem }, manager: addr };
      } finally {
        client.close();
      }
    } catch (err) {
      lastError = err;
      if (err instanceof ShoalError && err.code === 'invalid_argument') throw err;
    }
  }
  throw new ShoalError('unavailable', `could not join through ${remoteAddrs.join(', ')}: ${errorMessage(lastError)}`);
}

/** The root certificate at the end of the chain the manager presents (unverified: the caller checks its digest). */
function fetchRootCertificate(addr: string): Promise<string> {
  const [host, port] = [addr.slice(0, addr.lastIndexOf(':')), Number(addr.slice(addr.lastIndexOf(':') + 1))];
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, rejectUnauthorized: false, ALPNProtocols: ['h2'], timeout: 5000 }, () => {
      let cert: DetailedPeerCertificate | undefined = socket.getPeerCertificate(true);
      while (cert && cert.issuerCertificate && cert.issuerCertificate !== cert && cert.issuerCertificate.raw) cert = cert.issuerCertificate;
      socket.destroy();
      if (!cert?.raw) {
        reject(new ShoalError('unavailable', `the manager at ${addr} presented no certificate`));
        return;
      }
      resolve(new X509Certificate(cert.raw).toString());
    });
    socket.on('timeout', () => socket.destroy(new Error('timed out')));
    socket.on('error', (err) => reject(new ShoalError('unavailable', `cannot reach the manager at ${addr}: ${err.message}`)));
  });
}
