import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EndpointTable } from '../../../src/cluster/endpoints/types.js';
import { ipv4ToInt } from '../../../src/dns/names/ipv4.js';
import { RRClass, RRType } from '../../../src/dns/wire/constants.js';
import type { DnsMessage } from '../../../src/dns/wire/message.js';
import { serializeMessage } from '../../../src/dns/wire/serialize.js';
import { query } from './client.js';
import { sampleTable } from './fixtures.js';
import { fuzzCorpus, prng } from './fuzz-corpus.js';
import { HandlerHarness } from './handler-harness.js';

const SEED = Number(process.env.DNS_FUZZ_SEED ?? 20260101);

/**
 * The sample table plus what the fast path must get right: service `big` (dnsrr, 40 tasks on appnet:
 * more than 512 bytes of answers) and network `lan` (192.168.50.0/24: addresses whose 32-bit number
 * is negative) with service `edge` and a task on it.
 */
function table(): EndpointTable {
  const t = sampleTable();
  t.networks.push({ networkId: 'net_lan', name: 'lan', vni: 4099, subnet: '192.168.50.0/24', ingress: false, internal: false, attachable: false, hostAddresses: { n1: '192.168.50.2/24' } });
  t.services.push({ serviceId: 'svcbig', name: 'big', mode: 'dnsrr', ports: [], vips: {}, aliases: {}, networks: ['net_app'] });
  t.services.push({ serviceId: 'svcedge', name: 'edge', mode: 'vip', ports: [], vips: { net_lan: '192.168.50.5/24' }, aliases: {}, networks: ['net_lan'] });
  for (let i = 0; i < 40; i++) t.tasks.push({ taskId: `b${i}`, serviceId: 'svcbig', name: `big.${i + 1}.b${i}`, nodeId: 'n1', addresses: { net_app: `10.0.1.${100 + i}/24` } });
  t.tasks.push({ taskId: 'g1', serviceId: 'svcedge', name: 'edge.1.g1', nodeId: 'n2', addresses: { net_lan: '192.168.50.7/24' } });
  return t;
}

/**
 * Two handlers on the same table, asked the same queries in the same order: `fast` through
 * answerInPlace (handle() when it declines, as the batched listener does), `full` through handle()
 * only. Every answer the fast path gives must be the full path's bytes; round robin stays in step.
 */
class Pair {
  readonly fast = new HandlerHarness(table());
  readonly full = new HandlerHarness(table());
  answeredFast = 0;
  private readonly slot = Buffer.alloc(4097, 0x5a); // a receive slot: bytes past the datagram are junk
  private readonly out = Buffer.alloc(1232, 0xa5);

  /** Asks both; returns whether the fast path answered. */
  async ask(bytes: Buffer, source: string): Promise<boolean> {
    const full = await this.full.raw(bytes, source);
    this.slot.fill(0x5a);
    bytes.copy(this.slot, 0, 0, Math.min(bytes.length, this.slot.length));
    const ip = ipv4ToInt(source.replace(/^::ffff:/, '')) | 0;
    const length = this.fast.handler.answerInPlace(this.slot, bytes.length, ip, this.out);
    this.fast.handler.answeredInPlace(performance.now());
    if (length < 0) {
      assert.deepEqual(await this.fast.raw(bytes, source), full, `declined, then handle(): ${bytes.toString('hex')}`);
      return false;
    }
    assert.ok(full, `the fast path answered what handle() drops: ${bytes.toString('hex')}`);
    assert.equal(this.out.subarray(0, length).toString('hex'), full.toString('hex'), `from ${source}: ${bytes.toString('hex')}`);
    this.answeredFast++;
    return true;
  }

  /** Both handlers counted the same (latency counts, not their timings). */
  assertSameMetrics(): void {
    const strip = (h: HandlerHarness): unknown =>
      JSON.parse(JSON.stringify(h.metrics, (k, v: unknown) => (k === 'sumMs' ? 0 : k === 'counts' ? (v as number[]).reduce((a, b) => a + b, 0) : v)));
    assert.deepEqual(strip(this.fast), strip(this.full));
  }
}

const NAMES = [
  'web', 'tasks.web', 'web.appnet', 'tasks.web.appnet', 'www', 'tasks.www', 'www.appnet', 'db', 'tasks.db', 'db.backnet', 'cache', 'tasks.cache',
  'cache.backnet', 'web.1.aaa', 'web.1.aaa.appnet', 'web.1', 'big', 'tasks.big', 'edge', 'tasks.edge', 'edge.lan', 'edge.1.g1',
  '5.1.0.10.in-addr.arpa', '11.1.0.10.in-addr.arpa', '99.1.0.10.in-addr.arpa', '7.50.168.192.in-addr.arpa', '5.2.0.10.in-addr.arpa',
  'example.com', 'unknown', 'web.ingress', 'tasks.web.backnet', 'a\\.b', '',
];
const TYPES = [RRType.A, RRType.A, RRType.AAAA, RRType.PTR, RRType.ANY, RRType.MX, RRType.TXT];
const SOURCES = ['10.0.1.11', '10.0.2.31', '10.0.1.21', '10.0.1.99', '192.168.50.7', '192.168.50.99', '172.16.0.1', '::ffff:10.0.1.12', '10.0.0.11'];

/** A seeded corpus of queries: every name above in random case, each type, with and without EDNS0, odd flags, classes and counts. */
function* queries(seed: number, count: number): Generator<{ bytes: Buffer; source: string }> {
  const rnd = prng(seed);
  const int = (n: number): number => Math.floor(rnd() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  const randomCase = (s: string): string => [...s].map((c) => (int(2) ? c.toUpperCase() : c)).join('');
  for (let i = 0; i < count; i++) {
    const name = randomCase(pick(NAMES));
    const edns = int(3) === 0 ? { udpSize: pick([0, 100, 512, 1000, 1232, 4096, 65535]), flags: int(2) ? 0x8000 : 0, version: int(8) ? 0 : 1, options: int(4) ? Buffer.alloc(0) : Buffer.from([0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8]) } : undefined;
    const msg: DnsMessage = query(name, pick(TYPES), edns);
    msg.id = int(0x10000);
    msg.flags = (int(2) ? 0x0100 : 0) | (int(4) ? 0 : 0x0030) | (int(10) ? 0 : int(16) << 11);
    if (!int(8)) msg.questions[0]!.class = pick([RRClass.ANY, RRClass.CH, 2]);
    let bytes = serializeMessage(msg);
    switch (int(12)) {
      case 0:
        bytes = Buffer.concat([bytes, Buffer.from([int(256)])]); // trailing byte
        break;
      case 1:
        bytes = Buffer.from(bytes);
        bytes.writeUInt16BE(int(3), 4 + 2 * int(4)); // a count that does not match
        break;
      case 2:
        bytes = Buffer.concat([bytes.subarray(0, 12), Buffer.from([0xc0, 0x02]), bytes.subarray(bytes.indexOf(0, 12) + 1)]); // a pointer into the header
        break;
      default:
    }
    yield { bytes, source: pick(SOURCES) };
  }
}

test('fast path: the common queries for Shoal names are answered in place, with the bytes handle() gives', async () => {
  const p = new Pair();
  const fast = async (msg: DnsMessage, source = '10.0.1.11'): Promise<boolean> => p.ask(serializeMessage(msg), source);
  assert.ok(await fast(query('web')));
  assert.ok(await fast(query('TASKS.Web')));
  assert.ok(await fast(query('tasks.web.appnet')));
  assert.ok(await fast(query('web.1.aaa.appnet')));
  assert.ok(await fast(query('web', RRType.AAAA)), 'AAAA of a known name: empty NOERROR');
  assert.ok(await fast(query('5.1.0.10.in-addr.arpa', RRType.PTR)));
  assert.ok(await fast(query('tasks.web', RRType.A, { udpSize: 4096, flags: 0x8000 })), 'EDNS0');
  assert.ok(await fast(query('tasks.big')), 'truncated to 512 bytes');
  assert.ok(await fast(query('tasks.big', RRType.A, { udpSize: 1232 })));
  assert.ok(await fast(query('edge'), '192.168.50.7'), 'a source whose 32-bit number is negative');
  assert.ok(await fast(query('edge'), '192.168.50.99'), 'a source only inside the subnet');
  assert.ok(await fast(query('web'), '::ffff:10.0.1.11'));
  for (let i = 0; i < 5; i++) assert.ok(await fast(query('tasks.web')), 'round robin in step');
  p.assertSameMetrics();
});

test('fast path: what it declines goes to handle() (unknown, other networks, outsiders, EDNS version 1, odd classes, malformed)', async () => {
  const p = new Pair();
  const fast = async (msg: DnsMessage, source = '10.0.1.11'): Promise<boolean> => p.ask(serializeMessage(msg), source);
  assert.equal(await fast(query('example.com')), false, 'forwarded');
  assert.equal(await fast(query('cache')), false, 'NXDOMAIN: only on backnet');
  assert.equal(await fast(query('web'), '172.16.0.1'), false, 'REFUSED: an outsider');
  assert.equal(await fast(query('web', RRType.A, { version: 1 })), false, 'BADVERS');
  const ch = query('web');
  ch.questions[0]!.class = RRClass.CH;
  assert.equal(await fast(ch), false, 'CH class is forwarded');
  const two = query('web');
  two.questions.push({ name: 'db', type: RRType.A, class: RRClass.IN });
  assert.equal(await fast(two), false, 'two questions: FORMERR');
  assert.equal(await p.ask(Buffer.concat([serializeMessage(query('web')), Buffer.from([0])]), '10.0.1.11'), false, 'a trailing byte: FORMERR');
  p.assertSameMetrics();
});

test('fast path: a seeded corpus of 20,000 queries (names in random case, types, EDNS0, flags, classes, counts, sources) answers the same bytes as handle()', async () => {
  const p = new Pair();
  let n = 0;
  for (const { bytes, source } of queries(SEED, 20_000)) {
    await p.ask(bytes, source);
    n++;
  }
  assert.equal(n, 20_000);
  assert.ok(p.answeredFast > 2500, `${p.answeredFast} answered in place`);
  p.assertSameMetrics();
});

test('fast path: the fuzz corpus (random and mutated packets) gets the same bytes as from handle(), or is declined', async () => {
  const p = new Pair();
  for (const packet of fuzzCorpus(SEED, 20_000)) await p.ask(packet, '10.0.1.11');
  assert.ok(p.answeredFast > 100, `${p.answeredFast} answered in place`);
  p.assertSameMetrics();
});
