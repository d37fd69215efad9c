import { status, type sendUnaryData, type ServerUnaryCall, type UntypedServiceImplementation } from '@grpc/grpc-js';
import type { DataPlane, TraceAnswer } from '../../mesh/dataplane/index.js';
import { errorMessage } from '../../util/errors.js';
import { jsonService } from '../rpc/json-service.js';
import { RpcError, toServiceError } from '../rpc/rpc-error.js';
import { callerIdentity } from '../rpc/tls.js';
import type { TraceTarget } from './plan-trace.js';

/** Every host tells the managers where its data plane would send a new connection now. */
export const TRACE_SERVICE = jsonService('shoal.Trace', ['Next']);

/** The host side: its data plane's answer, or `{}` when it does not serve that entry. */
export function traceService(mesh: () => DataPlane | undefined, caCertPem: () => string): UntypedServiceImplementation {
  return {
    Next: (call: ServerUnaryCall<TraceTarget, TraceAnswer | Record<string, never>>, done: sendUnaryData<TraceAnswer | Record<string, never>>) => {
      void (async () => {
        try {
          callerIdentity(call, caCertPem(), ['manager']);
          const t = call.request;
          if (!t || typeof t.port !== 'number' || (t.protocol !== 'tcp' && t.protocol !== 'udp')) throw new RpcError(status.INVALID_ARGUMENT, 'a trace needs protocol and port');
          done(null, (await mesh()?.trace(t)) ?? {});
        } catch (err) {
          done(Object.assign(new Error(errorMessage(err)), toServiceError(err)));
        }
      })();
    },
  };
}
