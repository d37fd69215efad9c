import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DnsServer } from '../../../src/dns/index.js';
import { Flag, RCode, RRType } from '../../../src/dns/wire/constants.js';
import { parseMessage } from '../../../src/dns/wire/parse.js';
import { serializeMessage } from '../../../src/dns/wire/serialize.js';
import { silentLogger } from '../../../src/util/logger.js';
import { addressesOf, query, tcpQueries, udpQuery, udpRaw } from './client.js';
import { FakeUpstream } from './fake-upstream.js';
import { HOST, loopbackTable, withServer } from './server-harness.js';

test('answers over UDP and TCP (several queries on one connection) on the same port', async () => {
  await withServer({}, async (port) => {
    assert.deepEqual(addressesOf(await udpQuery(HOST, port, query('web'))), ['10.0.1.5']);
    const answers = await tcpQueries(HOST, port, [query('web'), query('tasks.web'), query('db.appnet'), query('nope.invalid')]);
    assert.deepEqual(answers.map((a) => addressesOf(a).length), [1, 3, 2, 0]);
    assert.equal(answers[3]!.flags & 0xf, RCode.NXDOMAIN);
  });
});

test('forwards other names to the upstream over the asker\'s transport; big answers: TC on UDP, whole on TCP', async () => {
  await withServer({}, async (port, _server, upstream) => {
    assert.deepEqual(addressesOf(await udpQuery(HOST, port, query('www.external.test'))), ['192.0.2.1']);
    assert.equal((await udpQuery(HOST, port, query('example.invalid'))).flags & 0xf, RCode.NXDOMAIN);
    const udp = await udpQuery(HOST, port, query('big.external.test', RRType.TXT));
    assert.ok(udp.flags & Flag.TC);
    const [tcp] = await tcpQueries(HOST, port, [query('big.external.test', RRType.TXT)]);
    assert.equal(tcp!.answers.length, 40);
    assert.deepEqual(upstream.asked, ['www.external.test', 'example.invalid', 'big.external.test', 'big.external.test']);
  });
});

test('an upstream that does not answer: the next is tried, and then preferred; none answering is SERVFAIL', async () => {
  const upstream = await FakeUpstream.start(HOST);
  const dead = await FakeUpstream.start(HOST);
  const deadPort = dead.port;
  await dead.close(); // nothing listens there any more
  const server = new DnsServer({ log: silentLogger, upstreams: [{ host: HOST, port: deadPort }, { host: HOST, port: upstream.port }], upstreamTimeoutMs: 150 });
  try {
    const { port } = (await server.start({ listen: [{ host: HOST, port: 0 }] }))[0]!;
    let t0 = Date.now();
    assert.deepEqual(addressesOf(await udpQuery(HOST, port, query('a.external.test'))), ['192.0.2.1']);
    assert.ok(Date.now() - t0 >= 140, 'the dead one cost a timeout');
    t0 = Date.now();
    assert.deepEqual(addressesOf(await udpQuery(HOST, port, query('b.external.test'))), ['192.0.2.1']);
    assert.ok(Date.now() - t0 < 140, 'the live one is asked first now');
    t0 = Date.now();
    assert.equal((await udpQuery(HOST, port, query('slow.external.test'))).flags & 0xf, RCode.SERVFAIL);
    assert.ok(Date.now() - t0 >= 290, 'each upstream had its turn');
    assert.equal(server.metrics.upstreamFailures, 1);
    assert.equal(server.metrics.upstreamTimeouts, 3);
    const [tcp] = await tcpQueries(HOST, port, [query('fail.external.test')]);
    assert.equal(tcp!.flags & 0xf, RCode.SERVFAIL, 'a SERVFAIL from every upstream is relayed');
  } finally {
    await server.stop();
    await upstream.close();
  }
});

test('queries in flight to upstreams are bounded: beyond the bound, SERVFAIL at once', async () => {
  await withServer({ maxForwardsInFlight: 2, upstreamTimeoutMs: 300 }, async (port, server) => {
    const t0 = Date.now();
    const answers = await Promise.all(Array.from({ length: 5 }, () => udpQuery(HOST, port, query('slow.external.test'))));
    assert.ok(answers.every((a) => (a.flags & 0xf) === RCode.SERVFAIL));
    assert.equal(server.metrics.overloaded, 3);
    assert.ok(Date.now() - t0 >= 290);
  });
});

test('apply swaps the table: scale down is answered at once; older versions are ignored', async () => {
  await withServer({}, async (port, server) => {
    assert.equal(addressesOf(await udpQuery(HOST, port, query('tasks.web'))).length, 3);
    const scaled = loopbackTable(11);
    scaled.tasks = scaled.tasks.filter((t) => t.name !== 'web.2.bbb' && t.name !== 'web.3.ccc');
    assert.equal(server.apply(scaled), true);
    assert.deepEqual(addressesOf(await udpQuery(HOST, port, query('tasks.web'))), ['10.0.1.11']);
    assert.equal(server.apply(loopbackTable(10)), false);
    assert.equal(server.tableVersion, 11);
    assert.equal(server.metrics.tableVersion, 11);
    assert.deepEqual(addressesOf(await udpQuery(HOST, port, query('tasks.web'))), ['10.0.1.11']);
  });
});

test('listen and unlisten addresses after start', async () => {
  await withServer({}, async (_port, server) => {
    const extra = await server.listen({ host: '127.0.0.2', port: 0 });
    assert.deepEqual(addressesOf(await udpQuery('127.0.0.2', extra.port, query('web'))), ['10.0.1.5']);
    await server.unlisten(extra);
    assert.equal(await udpRaw('127.0.0.2', extra.port, serializeMessage(query('web')), 200), undefined);
  });
});

test('bad packets over TCP: a malformed query is FORMERR and the connection goes on; an oversized one closes it', async () => {
  await withServer({}, async (port) => {
    const { connect } = await import('node:net');
    const answers = await new Promise<Buffer[]>((resolve) => {
      const s = connect({ host: HOST, port });
      const got: Buffer[] = [];
      let buffered = Buffer.alloc(0);
      s.on('connect', () => {
        const junk = Buffer.from([0, 14, 0xab, 0xcd, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 0x0c]);
        const good = serializeMessage(query('web'));
        const framed = Buffer.alloc(2 + good.length);
        framed.writeUInt16BE(good.length);
        good.copy(framed, 2);
        s.write(Buffer.concat([junk, framed, Buffer.from([0xff, 0xff])]));
      });
      s.on('data', (c) => {
        buffered = Buffer.concat([buffered, c]);
        while (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
          got.push(buffered.subarray(2, 2 + buffered.readUInt16BE(0)));
          buffered = buffered.subarray(2 + buffered.readUInt16BE(0));
        }
      });
      s.on('close', () => resolve(got));
    });
    assert.equal(answers.length, 2);
    assert.equal(answers[0]!.readUInt16BE(2) & 0xf, RCode.FORMERR);
    assert.deepEqual(addressesOf(parseMessage(answers[1]!)), ['10.0.1.5']);
  });
});

test('stopping while queries are being forwarded drops their answers and throws nothing', async () => {
  await withServer({ upstreamTimeoutMs: 5000 }, async (port, server) => {
    const pending = udpRaw(HOST, port, serializeMessage(query('slow.external.test')), 500);
    const [tcpPending] = [tcpQueries(HOST, port, [query('slow.external.test')], 500).catch(() => 'no answer')];
    await new Promise((r) => setTimeout(r, 100));
    await server.stop();
    assert.equal(await pending, undefined);
    assert.equal(await tcpPending, 'no answer');
  });
});

test('a TCP client that sends without reading is not answered into an unbounded buffer', async () => {
  await withServer({}, async (port, server) => {
    const { connect } = await import('node:net');
    const q = serializeMessage(query('tasks.web'));
    const framed = Buffer.alloc(2 + q.length);
    framed.writeUInt16BE(q.length);
    q.copy(framed, 2);
    const burst = Buffer.concat(Array.from({ length: 20_000 }, () => framed)); // ~60 bytes in, ~80 out each
    const s = connect({ host: HOST, port });
    s.pause(); // never reads
    await new Promise<void>((resolve) => s.on('connect', resolve));
    for (let i = 0; i < 10; i++) s.write(burst);
    // Wait until the server stops reading (the count holds still for half a second).
    let answered = -1;
    for (let t0 = Date.now(); Date.now() - t0 < 15_000 && answered !== server.metrics.byClass.tasks.queries; ) {
      answered = server.metrics.byClass.tasks.queries;
      await new Promise((r) => setTimeout(r, 500));
    }
    assert.ok(answered < 150_000, `${answered} of 200000 queries read: reading must stop once answers queue up`);
    assert.deepEqual(addressesOf(await udpQuery(HOST, port, query('web'))), ['10.0.1.5'], 'others are still answered');
    s.destroy();
  });
});

test('setListeners: listens on exactly the addresses given, and keeps the others on a failure', async () => {
  await withServer({}, async (port, server) => {
    // The loopback stands in for overlay addresses: 127.0.0.2 and .3, on a port of our own.
    const free = (await server.listen({ host: '127.0.0.4', port: 0 })).port;
    await server.unlisten({ host: '127.0.0.4', port: free });
    await server.setListeners([HOST, '127.0.0.2', '127.0.0.3'], free);
    for (const h of ['127.0.0.2', '127.0.0.3']) assert.deepEqual(addressesOf(await udpQuery(h, free, query('web'))), ['10.0.1.5'], h);
    await server.setListeners(['127.0.0.3'], free);
    assert.equal(await udpRaw('127.0.0.2', free, serializeMessage(query('web')), 200), undefined);
    assert.equal(await udpRaw(HOST, port, serializeMessage(query('web')), 200), undefined, 'the start() address went too');
    assert.deepEqual(addressesOf(await udpQuery('127.0.0.3', free, query('web'))), ['10.0.1.5']);
    await assert.rejects(server.setListeners(['127.0.0.3', '192.0.2.77'], free), /could not listen on 1/);
    assert.deepEqual(addressesOf(await udpQuery('127.0.0.3', free, query('web'))), ['10.0.1.5']);
  });
});
