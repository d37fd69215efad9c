// The data plane of one lab host, as the agent would run it: `node mesh-host.js <socket> <kind> <node id> [libnftables|nft]`,
// started inside the host's network namespace. Tables arrive as JSON lines on a unix socket
// (a path, so it is reachable from any namespace); each line is answered with one line.
import { createServer } from 'node:net';
import { createDataPlane, type DataPlaneKind, type NftVia } from '../../../src/mesh/dataplane/index.js';
import { errorMessage } from '../../../src/util/errors.js';
import { createLogger } from '../../../src/util/logger.js';
import type { MeshHostRequest, MeshHostReply, MeshHostTimes } from './mesh-host-client.js';

const [socketPath, kind, nodeId, nftVia] = process.argv.slice(2);
if (!socketPath || !kind || !nodeId) throw new Error('usage: mesh-host <socket> <auto|nftables|userspace> <node id>');
const log = createLogger('info', `mesh-${nodeId}`);
const dp = await createDataPlane({ kind: kind as 'auto' | DataPlaneKind, nodeId, log, nftVia: nftVia as NftVia | undefined });

/** Wall-clock ms (fractional), comparable across the lab's processes on this machine. */
const now = () => performance.timeOrigin + performance.now();

async function handle(req: MeshHostRequest, at: MeshHostTimes): Promise<MeshHostReply> {
  const t0 = performance.now();
  if (req.op === 'stats') return { id: req.id, ok: true, kind: dp.kind, version: dp.version, ms: 0, stats: await dp.stats() };
  if (req.op === 'apply') await dp.apply(req.table);
  else await dp.close();
  // For an apply: the table's rules are live now (nftables: its transaction committed; userspace: the proxies switched).
  return { id: req.id, ok: true, kind: dp.kind, version: dp.version, ms: performance.now() - t0, at: { ...at, live: now() } };
}

createServer((sock) => {
  let buf = '';
  /** When the first bytes of the line being read arrived. */
  let received = 0;
  sock.on('error', () => sock.destroy());
  sock.on('data', (d) => {
    if (buf === '') received = now();
    buf += d.toString();
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const req = JSON.parse(buf.slice(0, i)) as MeshHostRequest;
      buf = buf.slice(i + 1);
      handle(req, { received, parsed: now() }).then(
        (reply) => sock.write(`${JSON.stringify(reply)}\n`),
        (err: unknown) => sock.write(`${JSON.stringify({ id: req.id, ok: false, error: errorMessage(err) })}\n`),
      );
    }
  });
}).listen(socketPath, () => console.log(`ready ${dp.kind}`));
