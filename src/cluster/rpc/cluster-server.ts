import { Server, type ServiceDefinition, type UntypedServiceImplementation, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import type { Logger } from '../../util/logger.js';
import { ShoalError } from '../../util/errors.js';
import { clusterServerCredentials, type NodeCertificateProvider } from './tls.js';
import { toServiceError } from './rpc-error.js';

/** A unary handler written as an async function; thrown errors become gRPC statuses. */
export function unary<Req, Res>(fn: (req: Req, call: ServerUnaryCall<Req, Res>) => Promise<Res>) {
  return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>): void => {
    fn(call.request, call).then(
      (res) => callback(null, res),
      (err: unknown) => callback(toServiceError(err) as never),
    );
  };
}

/** The cluster port (2377): mutual TLS, the services managers offer to every host. */
export class ClusterServer {
  private readonly server = new Server({ 'grpc.keepalive_time_ms': 10_000, 'grpc.keepalive_timeout_ms': 5_000 });
  private port = 0;

  constructor(
    private readonly certs: NodeCertificateProvider,
    private readonly log: Logger,
  ) {}

  add(service: ServiceDefinition, impl: UntypedServiceImplementation): void {
    this.server.addService(service, impl);
  }

  /** Takes a service off the port (a demoted manager stops serving the managers' services). */
  remove(service: ServiceDefinition): void {
    this.server.removeService(service);
  }

  /** Listens on `listenAddr` (host:port); resolves to the port bound. */
  listen(listenAddr: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.bindAsync(listenAddr, clusterServerCredentials(this.certs), (err, port) => {
        if (err) {
          reject(new ShoalError('unavailable', `cannot listen on ${listenAddr} for the cluster: ${err.message}; pick another with --listen-addr`));
          return;
        }
        this.port = port;
        this.log.info({ listenAddr, port }, 'cluster port listening');
        resolve(port);
      });
    });
  }

  get boundPort(): number {
    return this.port;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.server.forceShutdown();
        resolve();
      }, 2000);
      this.server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
