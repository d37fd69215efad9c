import type { ChannelCredentials } from '@grpc/grpc-js';
import type { LogLine, LogOptions } from '../../runtime/types.js';
import { RpcClient } from '../rpc/client.js';
import { LOGS_SERVICE, fromWire, type TaskLogsRequest, type WireLogLine } from './logs-service.js';

/** A task's log lines from the host that runs it, over the cluster port. */
export async function* remoteTaskLogs(hostAddr: string, creds: ChannelCredentials, taskId: string, opts: LogOptions): AsyncIterable<LogLine> {
  const client = new RpcClient(LOGS_SERVICE, hostAddr, creds);
  const { signal, ...wireOpts } = opts;
  const call = client.stream<WireLogLine>('TaskLogs', { taskId, opts: wireOpts } satisfies TaskLogsRequest);
  const stop = () => call.cancel();
  signal?.addEventListener('abort', stop);
  try {
    for await (const line of call as AsyncIterable<WireLogLine>) yield fromWire(line);
  } catch (err) {
    if (!signal?.aborted) throw err;
  } finally {
    signal?.removeEventListener('abort', stop);
    client.close();
  }
}
