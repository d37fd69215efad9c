import type { MethodDefinition, ServiceDefinition } from '@grpc/grpc-js';

/** Messages between hosts are JSON documents: every side is Shoal, and JSON keeps them readable in traces. */
const serialize = (value: unknown): Buffer => Buffer.from(JSON.stringify(value ?? {}));
const deserialize = (buf: Buffer): unknown => (buf.length ? JSON.parse(buf.toString('utf8')) : {});

/** A gRPC service definition whose methods carry JSON; `streaming` names the server-streaming ones. */
export function jsonService(service: string, methods: readonly string[], streaming: readonly string[] = []): ServiceDefinition {
  const def: Record<string, MethodDefinition<unknown, unknown>> = {};
  for (const name of [...methods, ...streaming]) {
    def[name] = {
      path: `/${service}/${name}`,
      requestStream: false,
      responseStream: streaming.includes(name),
      requestSerialize: serialize,
      requestDeserialize: deserialize,
      responseSerialize: serialize,
      responseDeserialize: deserialize,
    };
  }
  return def as ServiceDefinition;
}
