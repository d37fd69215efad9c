// One Raft member as its own process, for the real-process test and the bench:
//   node member-main.js <id> <dir> <raft port> <http port> <peers JSON [{id, addr}]>
// It serves a tiny HTTP/2 interface (cleartext, as etcd's gRPC clients speak it): POST /write?key&value,
// GET /read?key (linearizable), GET /status.
import { createServer } from 'node:http2';
import { openRaftStore } from '../../../src/cluster/raft/open.js';
import { systemClock } from '../../../src/util/clock.js';
import { createLogger } from '../../../src/util/logger.js';
import { errorMessage, isShoalError } from '../../../src/util/errors.js';
import type { SecretObject } from '../../../src/cluster/types.js';

const [id, dir, raftPort, httpPort, peersJson] = process.argv.slice(2) as [string, string, string, string, string];
const log = createLogger((process.env.RAFT_LOG_LEVEL as 'info' | undefined) ?? 'info', `raft-${id}`);
const store = await openRaftStore({
  dir,
  nodeId: id,
  listenAddr: `127.0.0.1:${raftPort}`,
  bootstrap: JSON.parse(peersJson) as { id: string; addr: string }[],
  clock: systemClock,
  log,
  tickMs: Number(process.env.RAFT_TICK_MS ?? 100),
  commitTimeoutMs: 5000,
});

const secret = (key: string, value: string, prev?: SecretObject): SecretObject => ({
  ID: key,
  Version: prev?.Version ?? { Index: 0 },
  CreatedAt: '',
  UpdatedAt: '',
  Spec: { Name: key, Labels: { v: value } },
});

const server = createServer();
server.on('stream', (stream, headers) => {
  const url = new URL(headers[':path'] ?? '/', 'http://x');
  const key = url.searchParams.get('key') ?? '';
  const reply = (status: number, body: unknown): void => {
    if (stream.closed) return;
    stream.respond({ ':status': status, 'content-type': 'application/json' });
    stream.end(JSON.stringify(body));
  };
  stream.on('error', () => undefined);
  const run = async (): Promise<unknown> => {
    if (url.pathname === '/status') return { ...store.status(), members: store.members() };
    if (url.pathname === '/read') {
      await store.readBarrier();
      return { value: store.view((tx) => tx.get('secrets', key)?.Spec.Labels?.['v']) ?? null };
    }
    if (url.pathname === '/write') {
      const value = url.searchParams.get('value') ?? '';
      const index = await store.update((tx) => {
        const cur = tx.get('secrets', key);
        return (cur ? tx.update('secrets', secret(key, value, cur)) : tx.create('secrets', secret(key, value))).Version.Index;
      });
      return { index };
    }
    throw new Error(`no route ${url.pathname}`);
  };
  run().then(
    (body) => reply(200, body),
    (err: unknown) => reply(isShoalError(err) ? err.httpStatus : 500, { message: errorMessage(err) }),
  );
});
server.listen(Number(httpPort), '127.0.0.1');
const stop = (): void => {
  server.close();
  void store.close().then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
