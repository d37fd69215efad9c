import type { ChannelCredentials, UntypedServiceImplementation } from '@grpc/grpc-js';
import { jsonService } from '../rpc/json-service.js';
import { unary } from '../rpc/cluster-server.js';
import { callerIdentity } from '../rpc/tls.js';
import { RpcClient } from '../rpc/client.js';

/**
 * Every host tells the managers what its routing mesh and DNS hold for one service (`shoal service why`):
 * the endpoint table version it applied, the live mesh rules with their backends, the DNS answers.
 */
export const ENDPOINTS_SERVICE = jsonService('shoal.Endpoints', ['ServiceView']);

export interface ServiceViewRequest {
  serviceId: string;
  /** Names to look up in the host's DNS: the service's name, `tasks.<name>`, aliases. */
  names: string[];
}

export interface HostServiceView {
  nodeId: string;
  /** The last endpoint table applied to overlay, mesh and DNS together. */
  appliedVersion: number;
  meshVersion?: number;
  dnsVersion: number;
  /** VIPs of the service on this host, and the ports it publishes here, with the task addresses behind each. */
  mesh: { vips: { vip: string; networkId: string; backends: string[] }[]; ports: { protocol: string; port: number; targetPort: number; mode: string; backends: string[] }[] };
  /** What a task on each network gets for each name. */
  dns: { name: string; networkId: string; addresses: string[] }[];
}

/** The host side: answers for its own mesh and DNS, to managers only. */
export function endpointsService(view: (req: ServiceViewRequest) => HostServiceView, caCertPem: () => string): UntypedServiceImplementation {
  return {
    ServiceView: unary(async (req: ServiceViewRequest, call) => {
      callerIdentity(call, caCertPem(), ['manager']);
      return view(req);
    }),
  };
}

/** A host's view of a service, over the cluster port. */
export async function remoteServiceView(hostAddr: string, creds: ChannelCredentials, req: ServiceViewRequest): Promise<HostServiceView> {
  const client = new RpcClient(ENDPOINTS_SERVICE, hostAddr, creds);
  try {
    return await client.call<HostServiceView>('ServiceView', req, 5_000);
  } finally {
    client.close();
  }
}
