import { createSocket, type Socket } from 'node:dgram';
import { createServer, type Server } from 'node:net';
import { Flag, RCode, RRClass, RRType } from '../../../src/dns/wire/constants.js';
import type { DnsMessage, ResourceRecord } from '../../../src/dns/wire/message.js';
import { parseMessage } from '../../../src/dns/wire/parse.js';
import { serializeMessage } from '../../../src/dns/wire/serialize.js';

/**
 * A stand-in for the host's resolver, on UDP and TCP of one address:
 * - `<anything>.external.test` → A 192.0.2.1;
 * - `big.external.test` TXT → 40 TXT records of 60 bytes (over 512, and over 1232, bytes);
 * - `slow.external.test` → never answered;
 * - `fail.external.test` → SERVFAIL;
 * - anything else → NXDOMAIN.
 * It records the names it was asked, so tests can see what was forwarded.
 */
export class FakeUpstream {
  readonly asked: string[] = [];

  private constructor(
    private readonly udp: Socket,
    private readonly tcp: Server,
    readonly host: string,
    readonly port: number,
  ) {}

  static async start(host: string, port = 0): Promise<FakeUpstream> {
    const udp = createSocket(host.includes(':') ? 'udp6' : 'udp4');
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(port, host, () => resolve());
    });
    const bound = udp.address().port;
    const tcp = createServer();
    await new Promise<void>((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen(bound, host, () => resolve());
    });
    const upstream = new FakeUpstream(udp, tcp, host, bound);
    udp.on('message', (msg, rinfo) => {
      const answer = upstream.answer(msg);
      if (answer) udp.send(answer, rinfo.port, rinfo.address);
    });
    tcp.on('connection', (socket) => {
      let buffered = Buffer.alloc(0);
      socket.on('error', () => socket.destroy());
      socket.on('data', (chunk) => {
        buffered = Buffer.concat([buffered, chunk]);
        while (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
          const answer = upstream.answer(buffered.subarray(2, 2 + buffered.readUInt16BE(0)));
          buffered = buffered.subarray(2 + buffered.readUInt16BE(0));
          if (!answer) continue;
          const framed = Buffer.alloc(2 + answer.length);
          framed.writeUInt16BE(answer.length, 0);
          answer.copy(framed, 2);
          socket.write(framed);
        }
      });
    });
    return upstream;
  }

  private answer(bytes: Buffer): Buffer | undefined {
    let q: DnsMessage;
    try {
      q = parseMessage(bytes);
    } catch {
      return undefined;
    }
    const question = q.questions[0];
    if (!question) return undefined;
    const name = question.name.toLowerCase();
    this.asked.push(name);
    if (name === 'slow.external.test') return undefined;
    let rcode: number = RCode.NOERROR;
    const answers: ResourceRecord[] = [];
    if (name === 'fail.external.test') rcode = RCode.SERVFAIL;
    else if (name === 'big.external.test' && question.type === RRType.TXT) {
      for (let i = 0; i < 40; i++) answers.push({ name: question.name, type: RRType.TXT, class: RRClass.IN, ttl: 60, data: [`${i}`.padStart(60, 'x')] });
    } else if (name.endsWith('.external.test') && question.type === RRType.A) {
      answers.push({ name: question.name, type: RRType.A, class: RRClass.IN, ttl: 60, data: '192.0.2.1' });
    } else if (!name.endsWith('.external.test')) rcode = RCode.NXDOMAIN;
    return serializeMessage({ ...q, flags: Flag.QR | Flag.RA | (q.flags & Flag.RD) | rcode, answers, authorities: [], additionals: [] });
  }

  close(): Promise<void> {
    this.udp.close();
    return new Promise((resolve) => this.tcp.close(() => resolve()));
  }
}
