import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { BatchedUdpSocket } from '../../../native/batched-udp.js';
import { DnsServer } from '../../../src/dns/index.js';
import { Flag, RCode } from '../../../src/dns/wire/constants.js';
import { parseMessage } from '../../../src/dns/wire/parse.js';
import { serializeMessage } from '../../../src/dns/wire/serialize.js';
import { silentLogger } from '../../../src/util/logger.js';
import { addressesOf, query, udpQuery } from './client.js';
import { HOST, loopbackTable, withServer } from './server-harness.js';

/** A client socket bound before sending, so that sends in one tick reach the server before it runs. */
async function client(host = HOST): Promise<{ socket: Socket; received: Buffer[] }> {
  const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
  const received: Buffer[] = [];
  socket.on('message', (m) => received.push(m));
  await new Promise<void>((resolve) => socket.bind(0, host, () => resolve()));
  return { socket, received };
}

async function until(what: string, done: () => boolean, timeoutMs = 3000): Promise<void> {
  for (const start = Date.now(); !done(); await new Promise((r) => setTimeout(r, 10))) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
  }
}

const sent = (socket: Socket, bytes: Buffer, port: number, host = HOST): Promise<void> => new Promise((resolve, reject) => socket.send(bytes, port, host, (err) => (err ? reject(err) : resolve())));

test('the batched socket reads every waiting datagram in one call per batch and sends queued answers in one call', async () => {
  const server = BatchedUdpSocket.bind(HOST, 0, { batch: 16, maxDatagram: 100, maxReply: 100 });
  const c = await client();
  try {
    for (let i = 0; i < 20; i++) await sent(c.socket, Buffer.from(`query ${i}`), server.port);
    await sent(c.socket, Buffer.alloc(300, 7), server.port);
    const batches = [server.receive()];
    const texts = Array.from({ length: batches[0]! }, (_, i) => server.datagram(i).toString());
    assert.equal(server.source(0), HOST);
    for (let i = 0; i < batches[0]!; i++) server.reply(i, Buffer.from(`answer ${i}`));
    assert.deepEqual(server.flush(), { sent: 16, failed: 0 });
    batches.push(server.receive());
    texts.push(...Array.from({ length: 4 }, (_, i) => server.datagram(i).toString()));
    assert.ok(server.datagram(4).length > 100 && server.datagram(4).length < 300, 'a datagram over maxDatagram arrives cut, still longer than allowed');
    batches.push(server.receive());
    assert.deepEqual(batches, [16, 5, 0]);
    assert.deepEqual(texts, Array.from({ length: 20 }, (_, i) => `query ${i}`));
    assert.throws(() => server.reply(0, Buffer.alloc(200)), /UDP answer of 200 bytes exceeds/);
    await until('16 answers', () => c.received.length === 16);
    assert.deepEqual(c.received.map(String), Array.from({ length: 16 }, (_, i) => `answer ${i}`));
  } finally {
    server.close();
    c.socket.close();
  }
});

test('a burst of queries from several senders, some forwarded: each sender gets exactly the answers to its own queries', async () => {
  await withServer({}, async (port) => {
    const clients = await Promise.all([client(), client(), client(), client()]);
    const names = ['web', 'tasks.web', 'www', 'a.external.test', 'nope.invalid'];
    const asked = clients.map(() => new Map<number, string>());
    // Sent in one tick: they wait together in the server's socket and are read in batches.
    clients.forEach((c, n) => {
      for (let i = 0; i < 30; i++) {
        const q = query(names[(i + n) % names.length]!);
        asked[n]!.set(q.id, q.questions[0]!.name);
        c.socket.send(serializeMessage(q), port, HOST);
      }
    });
    try {
      await until('120 answers', () => clients.every((c) => c.received.length === 30));
      const expected: Record<string, string[]> = { web: ['10.0.1.5'], 'tasks.web': ['10.0.1.11', '10.0.1.12', '10.0.1.13'], www: ['10.0.1.5'], 'a.external.test': ['192.0.2.1'], 'nope.invalid': [] };
      clients.forEach((c, n) => {
        for (const answer of c.received.map((b) => parseMessage(b))) {
          const name = asked[n]!.get(answer.id);
          assert.ok(name, `client ${n} got an answer to a query it did not send`);
          assert.equal(answer.questions[0]!.name, name);
          assert.deepEqual(addressesOf(answer).sort(), expected[name]);
          asked[n]!.delete(answer.id);
        }
        assert.equal(asked[n]!.size, 0, `client ${n}: every query answered once`);
      });
    } finally {
      for (const c of clients) c.socket.close();
    }
  });
});

test('malformed packets in a batch are FORMERR or dropped; the queries around them are answered', async () => {
  await withServer({}, async (port, server) => {
    const c = await client();
    const good = [query('web'), query('tasks.web')];
    const garbage = Buffer.from(serializeMessage(query('x')));
    garbage.writeUInt16BE(9, 4); // nine questions announced, one present
    const loop = Buffer.from([0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1]);
    const response = serializeMessage({ ...query('web'), flags: Flag.QR });
    const oversized = Buffer.concat([serializeMessage(query('web')), Buffer.alloc(5000)]);
    const packets = [serializeMessage(good[0]!), garbage, Buffer.from([1, 2, 3]), loop, response, oversized, serializeMessage(good[1]!)];
    for (const p of packets) c.socket.send(p, port, HOST);
    try {
      await until('4 answers', () => c.received.length === 4);
      await new Promise((r) => setTimeout(r, 100)); // nothing more comes
      const byId = new Map(c.received.map((b) => [b.readUInt16BE(0), b]));
      assert.equal(c.received.length, 4);
      assert.deepEqual(addressesOf(parseMessage(byId.get(good[0]!.id)!)), ['10.0.1.5']);
      assert.equal(addressesOf(parseMessage(byId.get(good[1]!.id)!)).length, 3);
      assert.equal(byId.get(garbage.readUInt16BE(0))!.readUInt16BE(2) & 0xf, RCode.FORMERR);
      assert.equal(byId.get(0x1234)!.readUInt16BE(2) & 0xf, RCode.FORMERR);
      assert.equal(server.metrics.dropped, 3, 'the runt, the response and the oversized packet');
    } finally {
      c.socket.close();
    }
  });
});

test('bind errors reject as with dgram (EADDRNOTAVAIL, EADDRINUSE); stop() while idle frees the port', async () => {
  const server = new DnsServer({ log: silentLogger, upstreams: [] });
  const { port } = (await server.start({ listen: [{ host: HOST, port: 0 }] }))[0]!;
  await assert.rejects(server.listen({ host: '192.0.2.77', port }), (err: NodeJS.ErrnoException) => err.code === 'EADDRNOTAVAIL' && /bind EADDRNOTAVAIL 192\.0\.2\.77/.test(err.message));
  const other = new DnsServer({ log: silentLogger, upstreams: [] });
  await assert.rejects(other.start({ listen: [{ host: HOST, port }] }), { code: 'EADDRINUSE' });
  await server.stop();
  const taker = createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    taker.once('error', reject);
    taker.bind(port, HOST, () => resolve());
  });
  taker.close();
});

test('IPv6: a dual-stack listener names an IPv4 asker ::ffff:a.b.c.d, so it is still recognized as a task', async () => {
  const server = new DnsServer({ log: silentLogger, upstreams: [] });
  try {
    const { port } = (await server.start({ listen: [{ host: '::', port: 0 }] }))[0]!;
    server.apply(loopbackTable());
    assert.deepEqual(addressesOf(await udpQuery(HOST, port, query('web'))), ['10.0.1.5']);
    assert.equal((await udpQuery('::1', port, query('web'))).flags & 0xf, RCode.REFUSED, '::1 is no task');
  } finally {
    await server.stop();
  }
});

test('the dgram listener (the fallback where libc cannot be loaded) answers the same', async () => {
  await withServer({ udpListener: 'dgram' }, async (port) => {
    assert.deepEqual(addressesOf(await udpQuery(HOST, port, query('web'))), ['10.0.1.5']);
    assert.deepEqual(addressesOf(await udpQuery(HOST, port, query('a.external.test'))), ['192.0.2.1']);
  });
});
