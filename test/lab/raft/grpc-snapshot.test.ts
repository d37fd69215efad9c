import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Message, NodeId } from '../../../src/cluster/raft/core/types.js';
import { GrpcTransport } from '../../../src/cluster/raft/transport/grpc.js';
import { silentLogger } from '../../../src/util/logger.js';

// Swarm once blocked joins on snapshots over gRPC's message limit. The Raft transport (two members on
// loopback, real gRPC) must carry a snapshot well over its 16 MiB limit, in order, byte for byte.
test('a snapshot of 40 MiB, over gRPC message limit, reaches the follower whole and is reported installed', async () => {
  const got: Message[] = [];
  const status: [NodeId, boolean][] = [];
  const handler = (into: Message[]) => ({
    onMessage: (m: Message) => into.push(m),
    onForward: () => Promise.reject(new Error('no forwarding in this test')),
    onUnreachable: () => undefined,
    onSnapshotStatus: (to: NodeId, ok: boolean) => status.push([to, ok]),
  });
  const leader = new GrpcTransport({ id: 'a', log: silentLogger, listen: { listenAddr: '127.0.0.1:0' } });
  const follower = new GrpcTransport({ id: 'b', log: silentLogger, listen: { listenAddr: '127.0.0.1:0' } });
  try {
    await leader.start(handler([]));
    await follower.start(handler(got));
    leader.setPeer('b', `127.0.0.1:${follower.port}`);
    // Numbered blocks: a chunk lost, repeated or out of order changes the text.
    const data = Array.from({ length: 40 * 1024 }, (_, i) => `${i.toString(36).padStart(8, '0')}${'s'.repeat(1016)}`).join('');
    const snapshot = { meta: { index: 12_345, term: 3, conf: { voters: ['a', 'b'], learners: [] } }, data };
    leader.send({ type: 'snap', from: 'a', to: 'b', term: 3, snapshot });
    const deadline = Date.now() + 30_000;
    while (status.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(status, [['b', true]]);
    assert.equal(got.length, 1);
    const m = got[0]!;
    assert.equal(m.type, 'snap');
    assert.deepEqual(m.snapshot?.meta, snapshot.meta);
    assert.equal(m.snapshot?.data.length, 40 * 1024 * 1024);
    assert.ok(m.snapshot?.data === data, 'the data arrives byte for byte');
  } finally {
    await leader.close();
    await follower.close();
  }
});
