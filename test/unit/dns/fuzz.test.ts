import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { DnsServer } from '../../../src/dns/index.js';
import { parseMessage } from '../../../src/dns/wire/parse.js';
import { serializeMessage } from '../../../src/dns/wire/serialize.js';
import { silentLogger } from '../../../src/util/logger.js';
import { sleep } from '../../../src/util/clock.js';
import { addressesOf, query, udpQuery } from './client.js';
import { FakeUpstream } from './fake-upstream.js';
import { sampleTable } from './fixtures.js';
import { fuzzCorpus } from './fuzz-corpus.js';
import { HandlerHarness } from './handler-harness.js';

const SEED = Number(process.env.DNS_FUZZ_SEED ?? 20260101);
const HANDLER_PACKETS = 60_000;
const SOCKET_PACKETS = 15_000;
const BUDGET_MS = 30_000;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const heapAfterGc = (): number => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};

test(`fuzz, handler: ${HANDLER_PACKETS} bad packets never throw; every answer is a well-formed message with the query's ID`, async () => {
  const h = new HandlerHarness(sampleTable());
  const deadline = Date.now() + BUDGET_MS;
  let answered = 0;
  for (const packet of fuzzCorpus(SEED, HANDLER_PACKETS)) {
    const answer = await h.raw(packet, '10.0.1.11', answered % 2 ? 'udp' : 'tcp');
    if (answer) {
      answered++;
      const m = parseMessage(answer);
      assert.equal(m.id, packet.readUInt16BE(0));
      assert.ok(m.flags & 0x8000);
    }
    if (Date.now() > deadline) break;
  }
  assert.ok(answered > 1000, `${answered} answered`);
  assert.ok(h.metrics.formerr > 1000 && h.metrics.dropped > 100, JSON.stringify({ formerr: h.metrics.formerr, dropped: h.metrics.dropped }));
});

test(`fuzz, sockets: ${SOCKET_PACKETS} bad packets over UDP and TCP, twice; the server still answers right and its heap does not grow`, async () => {
  const upstream = await FakeUpstream.start('127.0.0.1');
  const server = new DnsServer({ log: silentLogger, upstreams: [{ host: '127.0.0.1', port: upstream.port }], upstreamTimeoutMs: 100 });
  const client = createSocket('udp4');
  client.on('message', () => {});
  try {
    const { port } = (await server.start({ listen: [{ host: '127.0.0.1', port: 0 }] }))[0]!;
    const table = sampleTable();
    table.tasks.push({ taskId: 'lo', serviceId: 'none', name: 'probe.1.lo', nodeId: 'n1', addresses: { net_app: '127.0.0.1/8' } });
    server.apply(table);
    const round = async (): Promise<void> => {
      let n = 0;
      for (const packet of fuzzCorpus(SEED, SOCKET_PACKETS)) {
        await new Promise<void>((resolve) => client.send(packet, port, '127.0.0.1', () => resolve()));
        // Send callbacks come on the next tick: without a turn of the event loop now and then,
        // the server (in this process) would never read, and the kernel would drop the rest.
        if (++n % 16 === 0) await new Promise((resolve) => setImmediate(resolve));
        if (n % 500 === 0) assert.deepEqual(addressesOf(await udpQuery('127.0.0.1', port, query('web'))), ['10.0.1.5'], `alive after ${n}`);
      }
      // TCP: the same corpus as one stream of random frames, on a few connections.
      const stream = Buffer.concat([...fuzzCorpus(SEED + 1, 300)].map((p) => Buffer.concat([Buffer.from([p.length >> 8, p.length & 0xff]), p])));
      await Promise.all(
        [0, 1, 2, 3].map(
          (i) =>
            new Promise<void>((resolve) => {
              const s = connect({ host: '127.0.0.1', port });
              s.on('error', () => {});
              s.on('data', () => {});
              s.on('connect', () => s.end(i === 0 ? Buffer.concat([stream, Buffer.from([0xff, 0xff, 1, 2, 3])]) : stream.subarray(0, (stream.length * i) / 4)));
              s.on('close', () => resolve());
              setTimeout(() => s.destroy(), 2000);
            }),
        ),
      );
      await sleep(300); // forwarded queries time out (100 ms)
    };
    await round();
    const before = heapAfterGc();
    await round();
    const after = heapAfterGc();
    assert.ok(after - before < 4 * 1024 * 1024, `heap grew by ${((after - before) / 1048576).toFixed(1)} MiB`);
    const web = await udpQuery('127.0.0.1', port, query('tasks.web'));
    assert.equal(addressesOf(web).length, 3);
    assert.deepEqual(addressesOf(await udpQuery('127.0.0.1', port, query('a.external.test'))), ['192.0.2.1']);
    assert.ok(server.metrics.formerr > 1000);
    assert.equal(parseMessage(serializeMessage(web)).id, web.id);
  } finally {
    client.close();
    await server.stop();
    await upstream.close();
  }
});
