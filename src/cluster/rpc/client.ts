import { makeGenericClientConstructor, type ChannelCredentials, type Client, type ServiceDefinition, type ServiceError, type ClientReadableStream } from '@grpc/grpc-js';
import { fromServiceError } from './rpc-error.js';
import { MANAGER_SERVER_NAME } from '../ca/certificates.js';

type Unary = (req: unknown, options: { deadline: number }, cb: (err: ServiceError | null, res: unknown) => void) => void;
type Streaming = (req: unknown) => ClientReadableStream<unknown>;

/** A client for one of the cluster's JSON services, with promise-returning unary calls. */
export class RpcClient {
  readonly raw: Client & Record<string, Unary | Streaming>;

  constructor(service: ServiceDefinition, readonly address: string, creds: ChannelCredentials) {
    const Ctor = makeGenericClientConstructor(service, 'shoal');
    // Managers are dialled by IP; TLS may not carry an IP as server name, so name the role instead.
    this.raw = new Ctor(address, creds, { 'grpc.keepalive_time_ms': 10_000, 'grpc.keepalive_timeout_ms': 5_000, 'grpc.ssl_target_name_override': MANAGER_SERVER_NAME }) as RpcClient['raw'];
  }

  call<Res>(method: string, req: unknown, timeoutMs = 10_000): Promise<Res> {
    return new Promise((resolve, reject) => {
      (this.raw[method] as Unary).call(this.raw, req, { deadline: Date.now() + timeoutMs }, (err, res) => (err ? reject(fromServiceError(err)) : resolve(res as Res)));
    });
  }

  stream<Msg>(method: string, req: unknown): ClientReadableStream<Msg> {
    return (this.raw[method] as Streaming).call(this.raw, req) as ClientReadableStream<Msg>;
  }

  close(): void {
    this.raw.close();
  }
}

/** `host` or `host:port` → `host:port`, with the cluster port by default. */
export const withClusterPort = (addr: string): string => (/:\d+$/.test(addr) ? addr : `${addr}:2377`);
