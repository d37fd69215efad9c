import { status, type ServerWritableStream, type UntypedServiceImplementation } from '@grpc/grpc-js';
import type { LogLine, LogOptions, TaskExecutor } from '../../runtime/types.js';
import { jsonService } from '../rpc/json-service.js';
import { callerIdentity } from '../rpc/tls.js';
import { RpcError, failStream } from '../rpc/rpc-error.js';

/** Every host serves its own tasks' logs to the managers, which answer `service logs` for the whole swarm. */
export const LOGS_SERVICE = jsonService('shoal.Logs', [], ['TaskLogs']);

export interface TaskLogsRequest {
  taskId: string;
  opts: Omit<LogOptions, 'signal'>;
}

/** A log line on the wire (the line itself base64, as it may hold any bytes). */
export interface WireLogLine {
  stream: LogLine['stream'];
  timestamp: string;
  line: string;
}

export const toWire = (l: LogLine): WireLogLine => ({ stream: l.stream, timestamp: l.timestamp, line: l.line.toString('base64') });
export const fromWire = (l: WireLogLine): LogLine => ({ stream: l.stream, timestamp: l.timestamp, line: Buffer.from(l.line, 'base64') });

/** The host side: streams a local task's log lines to a manager until it is done or the manager hangs up. */
export function logsService(executor: TaskExecutor, caCertPem: () => string): UntypedServiceImplementation {
  return {
    TaskLogs: (call: ServerWritableStream<TaskLogsRequest, WireLogLine>) => {
      const abort = new AbortController();
      call.on('cancelled', () => abort.abort());
      void (async () => {
        try {
          callerIdentity(call, caCertPem(), ['manager']);
          const req = call.request;
          if (typeof req?.taskId !== 'string') throw new RpcError(status.INVALID_ARGUMENT, 'taskId is required');
          for await (const line of executor.logs(req.taskId, { ...req.opts, signal: abort.signal })) {
            if (abort.signal.aborted) break;
            call.write(toWire(line));
          }
          call.end();
        } catch (err) {
          if (!abort.signal.aborted) failStream(call, err);
        }
      })();
    },
  };
}
