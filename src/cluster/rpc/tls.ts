import { X509Certificate } from 'node:crypto';
import { credentials, experimental, status, type ChannelCredentials, type ServerCredentials } from '@grpc/grpc-js';
import type { ServerSurfaceCall } from '@grpc/grpc-js/build/src/server-call.js';
import type { CaCertificateUpdateListener, CertificateProvider, IdentityCertificateUpdateListener } from '@grpc/grpc-js/build/src/certificate-provider.js';
import { verifyNodeCertificate, type NodeIdentity, type NodeRole } from '../ca/certificates.js';
import { signedBy, splitPems } from '../ca/chain.js';
import { errorMessage } from '../../util/errors.js';
import { RpcError } from './rpc-error.js';

/** A host's TLS material: the roots it trusts (the swarm's current one first), its own certificate (and intermediates) and key (PEM). */
export interface NodeCredentials {
  caCertPem: string;
  certPem: string;
  keyPem: string;
}

/**
 * Serves the host's current certificate to the cluster port and can swap it (renewal, promotion)
 * without restarting the server.
 */
export class NodeCertificateProvider implements CertificateProvider {
  private readonly caListeners = new Set<CaCertificateUpdateListener>();
  private readonly identityListeners = new Set<IdentityCertificateUpdateListener>();

  constructor(private creds: NodeCredentials) {}

  update(creds: NodeCredentials): void {
    this.creds = creds;
    for (const l of this.caListeners) l(this.caUpdate());
    for (const l of this.identityListeners) l(this.identityUpdate());
  }

  // gRPC registers its own watcher right after adding a listener: answer on the next tick, or it misses the first update.
  addCaCertificateListener(l: CaCertificateUpdateListener): void {
    this.caListeners.add(l);
    setImmediate(() => this.caListeners.has(l) && l(this.caUpdate()));
  }

  removeCaCertificateListener(l: CaCertificateUpdateListener): void {
    this.caListeners.delete(l);
  }

  addIdentityCertificateListener(l: IdentityCertificateUpdateListener): void {
    this.identityListeners.add(l);
    setImmediate(() => this.identityListeners.has(l) && l(this.identityUpdate()));
  }

  removeIdentityCertificateListener(l: IdentityCertificateUpdateListener): void {
    this.identityListeners.delete(l);
  }

  private caUpdate() {
    return { caCertificate: Buffer.from(this.creds.caCertPem) };
  }

  /**
   * The chain ends with the swarm's current root (the first trusted one), so a joining host can read
   * it and check it against its token; during a root rotation the cross-signed new root comes
   * between, so hosts that trust only the old root accept a certificate from the new one.
   */
  private identityUpdate() {
    return { certificate: Buffer.from(presentedChain(this.creds)), privateKey: Buffer.from(this.creds.keyPem) };
  }
}

/**
 * The chain a host presents: its certificate, the intermediates only while its first trusted root
 * did not sign it directly (after a root rotation ends, a joining host must find the new root at
 * the end, not the cross-signed one), then that root.
 */
export function presentedChain(creds: NodeCredentials): string {
  const [leaf = '', ...intermediates] = splitPems(creds.certPem);
  const root = splitPems(creds.caCertPem)[0] ?? '';
  const direct = leaf && root && signedBy(new X509Certificate(leaf), new X509Certificate(root));
  return [leaf, ...(direct ? [] : intermediates), root].join('');
}

/**
 * Server credentials for the cluster port: TLS always; a client certificate is asked for but not
 * required by TLS itself, because a joining host has none yet. Every RPC but the CA's checks the
 * caller's certificate itself (`callerIdentity`).
 */
export function clusterServerCredentials(provider: NodeCertificateProvider): ServerCredentials {
  return experimental.createCertificateProviderServerCredentials(provider, provider, false);
}

/** The calling node, from its certificate, checked against the cluster's CA; throws UNAUTHENTICATED or PERMISSION_DENIED. */
export function callerIdentity(call: ServerSurfaceCall, caCertPem: string, roles: readonly NodeRole[] = ['manager', 'worker']): NodeIdentity {
  const raw = call.getAuthContext()?.sslPeerCertificate?.raw;
  if (!raw) throw new RpcError(status.UNAUTHENTICATED, 'a certificate from this cluster is required: join the swarm first');
  let id: NodeIdentity;
  try {
    id = verifyNodeCertificate(raw, caCertPem);
  } catch (err) {
    throw new RpcError(status.UNAUTHENTICATED, errorMessage(err));
  }
  if (!roles.includes(id.role)) throw new RpcError(status.PERMISSION_DENIED, `node ${id.nodeId} is a ${id.role}; this call needs a ${roles.join(' or ')} certificate`);
  return id;
}

/** Client credentials: trust only the cluster's root, present our certificate when we have one. */
export function clusterClientCredentials(caCertPem: string, own?: { certPem: string; keyPem: string }): ChannelCredentials {
  return credentials.createSsl(
    Buffer.from(caCertPem),
    own ? Buffer.from(own.keyPem) : null,
    own ? Buffer.from(own.certPem) : null,
    // Managers are reached by address, which their certificates do not name: the CA check is what counts.
    { checkServerIdentity: () => undefined },
  );
}
