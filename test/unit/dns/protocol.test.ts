import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EndpointTable } from '../../../src/cluster/endpoints/types.js';
import { Flag, RCode, RRType } from '../../../src/dns/wire/constants.js';
import { parseMessage } from '../../../src/dns/wire/parse.js';
import { serializeMessage } from '../../../src/dns/wire/serialize.js';
import { addressesOf, query } from './client.js';
import { sampleTable } from './fixtures.js';
import { HandlerHarness } from './handler-harness.js';

const WEB1 = '10.0.1.11';

/** The sample table with `n` more web tasks on appnet (10.0.1.100 on). */
function bigTable(n: number): EndpointTable {
  const t = sampleTable();
  for (let i = 0; i < n; i++) t.tasks.push({ taskId: `x${i}`, serviceId: 'svcweb', name: `web.${10 + i}.x${i}`, nodeId: 'n1', addresses: { net_app: `10.0.1.${100 + i}/24` } });
  return t;
}

test('UDP answers over 512 bytes are cut to whole records with TC set; TCP answers are complete', async () => {
  const h = new HandlerHarness(bigTable(60));
  const udp = await h.ask(WEB1, 'tasks.web');
  assert.ok(udp.flags & Flag.TC);
  assert.ok(udp.answers.length > 0 && udp.answers.length < 63);
  assert.ok(serializeMessage(udp).length <= 512);
  const tcp = await h.ask(WEB1, 'tasks.web', RRType.A, 'tcp');
  assert.equal(tcp.flags & Flag.TC, 0);
  assert.equal(tcp.answers.length, 63);
  assert.equal(h.metrics.truncated, 1);
});

test('EDNS0: a larger UDP size is honoured up to our maximum, and answered with an OPT record', async () => {
  const h = new HandlerHarness(bigTable(60));
  const m = await h.send(WEB1, query('tasks.web', RRType.A, { udpSize: 4096 }));
  assert.equal(m.flags & Flag.TC, 0);
  assert.equal(m.answers.length, 63); // 63 × 16 bytes + header, question, OPT < 1232
  assert.equal(m.edns?.udpSize, 1232);
  const big = await h.send(WEB1, query('tasks.web', RRType.A, { udpSize: 4096 }), 'udp');
  assert.equal(big.answers.length, 63);
  const h2 = new HandlerHarness(bigTable(100));
  const cut = await h2.send(WEB1, query('tasks.web', RRType.A, { udpSize: 65000 }));
  assert.ok(cut.flags & Flag.TC, 'capped at 1232 bytes');
  assert.ok(serializeMessage(cut).length <= 1232);
  const small = await h2.send(WEB1, query('tasks.web', RRType.A, { udpSize: 100 }));
  assert.ok(serializeMessage(small).length <= 512, 'below 512 counts as 512');
});

test('EDNS0 versions above 0 get BADVERS (extended rcode in the OPT record)', async () => {
  const h = new HandlerHarness(sampleTable());
  const m = await h.send(WEB1, query('web', RRType.A, { version: 1 }));
  assert.equal(m.flags & 0xf, 0);
  assert.equal(m.edns?.extendedRcode, 1); // 16 >> 4
  assert.equal(m.answers.length, 0);
});

test('malformed queries get FORMERR with the ID; responses, runts and oversized packets get nothing', async () => {
  const h = new HandlerHarness(sampleTable());
  const good = serializeMessage(query('web'));
  const cut = await h.raw(good.subarray(0, good.length - 2), WEB1);
  assert.ok(cut);
  assert.equal(cut.readUInt16BE(0), good.readUInt16BE(0));
  assert.equal(cut.readUInt16BE(2) & 0xf, RCode.FORMERR);
  assert.equal(cut.length, 12);
  const twoQuestions = serializeMessage({ ...query('web'), questions: [query('web').questions[0]!, query('db').questions[0]!] });
  assert.equal(parseMessage((await h.raw(twoQuestions, WEB1))!).flags & 0xf, RCode.FORMERR);
  const noQuestion = serializeMessage({ ...query('web'), questions: [] });
  assert.equal(parseMessage((await h.raw(noQuestion, WEB1))!).flags & 0xf, RCode.FORMERR);
  const response = Buffer.from(good);
  response.writeUInt16BE(0x8100, 2);
  assert.equal(await h.raw(response, WEB1), undefined);
  assert.equal(await h.raw(Buffer.alloc(11), WEB1), undefined);
  assert.equal(await h.raw(Buffer.concat([good, Buffer.alloc(5000)]), WEB1), undefined);
  assert.deepEqual([h.metrics.formerr, h.metrics.dropped], [3, 3]);
});

test('opcodes other than QUERY get NOTIMP', async () => {
  const h = new HandlerHarness(sampleTable());
  const m = await h.send(WEB1, { ...query('web'), flags: 0x2800 }); // UPDATE
  assert.equal(m.flags & 0xf, RCode.NOTIMP);
  assert.equal((m.flags >> 11) & 0xf, 5);
});

test('the answer echoes ID and RD, sets QR, RA and AA', async () => {
  const h = new HandlerHarness(sampleTable());
  const q = query('web');
  const m = await h.send(WEB1, q);
  assert.equal(m.id, q.id);
  assert.equal(m.flags & (Flag.QR | Flag.RD | Flag.RA | Flag.AA), Flag.QR | Flag.RD | Flag.RA | Flag.AA);
});

test('forwarded: the upstream answer is relayed; none is SERVFAIL; too big for UDP is cut to the question with TC', async () => {
  const upstreamAnswer = (q: Buffer, records: number): Buffer => {
    const m = parseMessage(q);
    return serializeMessage({ ...m, flags: 0x8180, answers: Array.from({ length: records }, () => ({ name: m.questions[0]!.name, type: RRType.TXT, class: 1, ttl: 9, data: ['x'.repeat(100)] })) });
  };
  const h = new HandlerHarness(sampleTable(), undefined, (q) => {
    const name = parseMessage(q).questions[0]!.name;
    if (name === 'none.test') return undefined;
    return upstreamAnswer(q, name === 'big.test' ? 10 : 1);
  });
  const small = await h.ask(WEB1, 'small.test', RRType.TXT);
  assert.deepEqual(small.answers[0]!.data, ['x'.repeat(100)]);
  assert.equal((await h.ask(WEB1, 'none.test')).flags & 0xf, RCode.SERVFAIL);
  const big = await h.ask(WEB1, 'big.test', RRType.TXT);
  assert.ok(big.flags & Flag.TC);
  assert.equal(big.answers.length, 0);
  assert.equal(big.questions[0]!.name, 'big.test');
  assert.equal((await h.ask(WEB1, 'big.test', RRType.TXT, 'tcp')).answers.length, 10);
  const withEdns = await h.send(WEB1, query('big.test', RRType.TXT, { udpSize: 4096 }));
  assert.equal(withEdns.answers.length, 10, '1 KB fits in 1232');
  assert.equal(h.metrics.byClass.forwarded.queries, 5);
});

test('metrics: queries, NXDOMAIN and latency per name class', async () => {
  const h = new HandlerHarness(sampleTable());
  await h.ask(WEB1, 'web');
  await h.ask(WEB1, 'tasks.web');
  await h.ask(WEB1, 'web.1.aaa');
  await h.ask(WEB1, '11.1.0.10.in-addr.arpa', RRType.PTR);
  await h.ask(WEB1, 'cache');
  const c = h.metrics.byClass;
  assert.deepEqual([c.service.queries, c.tasks.queries, c.task.queries, c.ptr.queries, c.service.nxdomain], [2, 1, 1, 1, 1]);
  assert.equal(c.service.latency.count, 2);
  assert.equal(c.service.latency.counts.reduce((a, b) => a + b), 2);
  assert.ok(c.service.latency.sumMs >= 0);
  assert.deepEqual(addressesOf(await h.ask(WEB1, 'web')), ['10.0.1.5']);
});
