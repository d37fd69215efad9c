import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { RRClass, RRType } from '../../../src/dns/wire/constants.js';
import type { DnsMessage, Edns } from '../../../src/dns/wire/message.js';
import { parseMessage } from '../../../src/dns/wire/parse.js';
import { serializeMessage } from '../../../src/dns/wire/serialize.js';

let nextId = 1;

/** A query message for `name` (type A by default, RD set), optionally with EDNS0. */
export function query(name: string, type: number = RRType.A, edns?: Partial<Edns>): DnsMessage {
  nextId = (nextId % 0xffff) + 1;
  return {
    id: nextId,
    flags: 0x0100,
    questions: [{ name, type, class: RRClass.IN }],
    answers: [],
    authorities: [],
    additionals: [],
    ...(edns ? { edns: { udpSize: 1232, extendedRcode: 0, version: 0, flags: 0, options: Buffer.alloc(0), ...edns } } : {}),
  };
}

/** Sends raw bytes over UDP and resolves with the first datagram back, or undefined after `timeoutMs`. */
export function udpRaw(host: string, port: number, bytes: Buffer, timeoutMs = 2000): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
    const timer = setTimeout(() => done(undefined), timeoutMs);
    const done = (answer: Buffer | undefined): void => {
      clearTimeout(timer);
      socket.close();
      resolve(answer);
    };
    socket.on('message', (msg) => done(msg));
    socket.send(bytes, port, host);
  });
}

export async function udpQuery(host: string, port: number, msg: DnsMessage): Promise<DnsMessage> {
  const answer = await udpRaw(host, port, serializeMessage(msg));
  if (!answer) throw new Error(`no UDP answer from ${host}:${port} for ${msg.questions[0]?.name}`);
  return parseMessage(answer);
}

/** Sends length-prefixed queries on one TCP connection and resolves with that many answers. */
export function tcpQueries(host: string, port: number, msgs: DnsMessage[], timeoutMs = 3000): Promise<DnsMessage[]> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    const answers: DnsMessage[] = [];
    let buffered = Buffer.alloc(0);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`TCP: ${answers.length} of ${msgs.length} answers from ${host}:${port}`));
    }, timeoutMs);
    socket.on('connect', () => {
      for (const m of msgs) {
        const bytes = serializeMessage(m);
        const framed = Buffer.alloc(2 + bytes.length);
        framed.writeUInt16BE(bytes.length, 0);
        bytes.copy(framed, 2);
        socket.write(framed);
      }
    });
    socket.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
        answers.push(parseMessage(buffered.subarray(2, 2 + buffered.readUInt16BE(0))));
        buffered = buffered.subarray(2 + buffered.readUInt16BE(0));
      }
      if (answers.length === msgs.length) {
        clearTimeout(timer);
        socket.destroy();
        resolve(answers);
      }
    });
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

export const addressesOf = (m: DnsMessage): string[] => m.answers.filter((r) => r.type === RRType.A).map((r) => r.data as string);
