// Malformed DNS at a task's embedded DNS server, run inside the task's network namespace
// (`node dns-garbage.js <server> <name> <count> <seed>`): the DNS fuzz corpus over UDP, framed and
// unframed garbage over TCP, then a real query for `name` over both. Prints one JSON line.
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { randomBytes } from 'node:crypto';
import { fuzzCorpus } from '../../unit/dns/fuzz-corpus.js';
import { query, tcpQueries, udpQuery } from '../../unit/dns/client.js';
import type { DnsMessage } from '../../../src/dns/wire/message.js';

export interface DnsGarbageResult {
  udpSent: number;
  udpAnswered: number;
  tcpConnections: number;
  /** The name's addresses asked afterwards, over UDP and TCP. */
  after: { udp: string[]; tcp: string[] };
}

async function udpBlast(server: string, packets: Buffer[]): Promise<number> {
  const socket = createSocket('udp4');
  let answered = 0;
  socket.on('message', () => answered++);
  for (const p of packets) {
    await new Promise<void>((resolve) => socket.send(p, 53, server, () => resolve()));
  }
  await new Promise((r) => setTimeout(r, 1000));
  socket.close();
  return answered;
}

function tcpGarbage(server: string, bytes: Buffer): Promise<void> {
  return new Promise((resolve) => {
    const s = connect({ host: server, port: 53 }, () => s.end(bytes));
    s.on('data', () => undefined);
    s.setTimeout(2000, () => s.destroy());
    s.on('close', () => resolve());
    s.on('error', () => resolve());
  });
}

const framed = (b: Buffer): Buffer => Buffer.concat([Buffer.from([b.length >> 8, b.length & 0xff]), b]);
const addresses = (m: DnsMessage): string[] => m.answers.map((a) => String(a.data)).sort();

async function main(server: string, name: string, count: number, seed: number): Promise<DnsGarbageResult> {
  const packets = [...fuzzCorpus(seed, count)];
  const udpAnswered = await udpBlast(server, packets);
  const tcp = [
    Buffer.concat(packets.slice(0, 50).filter((p) => p.length < 65536).map(framed)),
    randomBytes(3000),
    Buffer.from([0xff, 0xff, 1, 2, 3]), // a length prefix promising 65535 bytes, then the end
    Buffer.from([0x00]),
  ];
  for (const bytes of tcp) await tcpGarbage(server, bytes);
  const udp = addresses(await udpQuery(server, 53, query(name)));
  const [viaTcp] = await tcpQueries(server, 53, [query(name)]);
  return { udpSent: packets.length, udpAnswered, tcpConnections: tcp.length, after: { udp, tcp: addresses(viaTcp!) } };
}

const [server, name, count, seed] = process.argv.slice(2);
if (server && name) process.stdout.write(`${JSON.stringify(await main(server, name, Number(count ?? 500), Number(seed ?? 1)))}\n`);
