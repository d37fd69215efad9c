import { status, type UntypedServiceImplementation } from '@grpc/grpc-js';
import type { Store } from '../store/index.js';
import type { ClusterObject, ClusterRootCA, NodeObject } from '../types.js';
import { newId } from '../../util/ids.js';
import type { Logger } from '../../util/logger.js';
import { certDer, verifyRenewal, type NodeRole } from '../ca/certificates.js';
import { signNodeCertificate, type NodeCertRequest } from '../ca/signer.js';
import type { ClientIdentity } from '../ca/external-ca.js';
import { nodeTLSInfo, trustedRoots } from '../ca/root-ca.js';
import { ShoalError, errorMessage } from '../../util/errors.js';
import { caDigest, parseJoinToken } from './join-token.js';
import { unary } from '../rpc/cluster-server.js';
import { RpcError } from '../rpc/rpc-error.js';
import { callerIdentity } from '../rpc/tls.js';
import type { IssueRequest, IssueResponse } from '../rpc/services.js';
import { SHOAL_VERSION } from '../../version.js';

const INVALID_TOKEN = 'A valid join token is necessary to join this cluster';

export interface CaServiceOptions {
  store: Store;
  log: Logger;
  /** Makes a joining manager a member of the managers' Raft group (leader only). */
  addManager: (nodeId: string, addr: string) => Promise<void>;
  /** This manager's certificate and key now, shown to external CAs that ask for one (as swarmkit does). */
  identity: () => ClientIdentity;
}

/** The managers' CA: the root certificate for anyone, node certificates for a valid join token or a valid certificate. */
export function caService(o: CaServiceOptions): UntypedServiceImplementation {
  const cluster = () => {
    const c = o.store.view((tx) => tx.list('cluster')[0]);
    if (!c?.RootCA) throw new RpcError(status.UNAVAILABLE, 'this manager has no cluster CA');
    return c as ClusterObject & { RootCA: ClusterRootCA };
  };
  return {
    GetRootCACertificate: unary(async () => ({ certPem: cluster().RootCA.CACert })),
    IssueNodeCertificate: unary(async (req: IssueRequest, call): Promise<IssueResponse> => {
      const c = cluster();
      const trust = trustedRoots(c.RootCA);
      let nodeId: string;
      let role: NodeRole;
      if (req.token !== undefined) {
        role = tokenRole(req.token, c.JoinTokens, caDigest(certDer(c.RootCA.CACert)));
        nodeId = newId();
      } else {
        // Renewal. A host that was off past its certificate's end proves who it is with a signature
        // by its key, so it comes back instead of being locked out.
        const id = req.renewal ? renewalIdentity(req, trust) : callerIdentity(call, trust);
        const node = o.store.view((tx) => tx.get('nodes', id.nodeId));
        if (!node) throw new RpcError(status.PERMISSION_DENIED, `node ${id.nodeId} was removed from the swarm: join again with a token`);
        nodeId = id.nodeId;
        role = node.Spec.Role;
      }
      const signed = await sign(c, { nodeId, role, clusterId: c.ID, csrPem: req.csrPem, validityMs: c.Spec.CAConfig.NodeCertExpiry / 1e6 }, o.identity());
      if (req.token !== undefined) {
        const node = newNode(nodeId, role, req, nodeTLSInfo(signed.certPem, signed.trustPem));
        await o.store.update((tx) => tx.create('nodes', node));
        if (node.ManagerStatus) await o.addManager(nodeId, node.ManagerStatus.Addr);
        o.log.info({ node: nodeId, role, hostname: req.hostname, addr: req.advertiseAddr }, 'a host joined the swarm');
      }
      return { nodeId, role, clusterId: c.ID, certPem: signed.certPem, caCertPem: signed.trustPem, managers: managerAddresses(o.store) };
    }),
  };
}

async function sign(c: ClusterObject & { RootCA: ClusterRootCA }, req: NodeCertRequest, identity: ClientIdentity) {
  try {
    return await signNodeCertificate(c.RootCA, c.Spec.CAConfig.ExternalCAs, req, identity);
  } catch (err) {
    if (err instanceof ShoalError && err.code === 'invalid_argument') throw new RpcError(status.INVALID_ARGUMENT, err.message);
    throw new RpcError(status.UNAVAILABLE, errorMessage(err));
  }
}

/** The managers' cluster addresses, for hosts to connect to. */
export function managerAddresses(store: Store): { nodeId: string; addr: string }[] {
  return store.view((tx) => tx.find('nodes', 'role', 'manager')).flatMap((n) => (n.ManagerStatus ? [{ nodeId: n.ID, addr: n.ManagerStatus.Addr }] : []));
}

function renewalIdentity(req: IssueRequest, trustedRootsPem: string) {
  try {
    return verifyRenewal(req.renewal!, req.csrPem, trustedRootsPem);
  } catch (err) {
    throw new RpcError(status.UNAUTHENTICATED, errorMessage(err));
  }
}

function tokenRole(token: string, tokens: { Worker: string; Manager: string }, digest: string): NodeRole {
  let parsed;
  try {
    parsed = parseJoinToken(token);
  } catch {
    throw new RpcError(status.INVALID_ARGUMENT, INVALID_TOKEN);
  }
  if (parsed.caDigest !== digest) throw new RpcError(status.INVALID_ARGUMENT, INVALID_TOKEN);
  if (token === tokens.Manager) return 'manager';
  if (token === tokens.Worker) return 'worker';
  throw new RpcError(status.INVALID_ARGUMENT, INVALID_TOKEN);
}

function newNode(nodeId: string, role: NodeRole, req: IssueRequest, tls: NodeObject['Description']['TLSInfo']): NodeObject {
  return {
    ID: nodeId,
    Version: { Index: 0 },
    CreatedAt: '',
    UpdatedAt: '',
    Spec: { Labels: {}, Role: role, Availability: req.availability || 'active' },
    Description: req.description
      ? { ...req.description, TLSInfo: tls }
      : {
          Hostname: req.hostname,
          Platform: { Architecture: 'x86_64', OS: 'linux' },
          Resources: { NanoCPUs: 0, MemoryBytes: 0 },
          Engine: { EngineVersion: SHOAL_VERSION, Plugins: [] },
          TLSInfo: tls,
        },
    Status: { State: 'unknown', Addr: req.advertiseAddr },
    ...(role === 'manager' ? { ManagerStatus: { Leader: false, Reachability: 'unknown' as const, Addr: `${req.advertiseAddr}:${req.listenPort ?? 2377}` } } : {}),
  };
}
