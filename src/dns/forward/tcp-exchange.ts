import { connect } from 'node:net';
import type { Clock } from '../../util/clock.js';
import { answersQuery } from './match.js';
import type { Upstream } from './resolv-conf.js';

/**
 * One query to an upstream over a fresh TCP connection (RFC 1035 §4.2.2 length-prefixed):
 * resolves with the answer, or undefined on error, a bad answer, or after `timeoutMs`.
 */
export function tcpExchange(query: Buffer, questionEnd: number, upstream: Upstream, timeoutMs: number, clock: Clock): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host: upstream.host, port: upstream.port });
    const timer = clock.setTimeout(() => finish(undefined), timeoutMs);
    let received = Buffer.alloc(0);
    let finished = false;
    const finish = (response: Buffer | undefined): void => {
      if (finished) return;
      finished = true;
      clock.clearTimeout(timer);
      socket.destroy();
      resolve(response && answersQuery(query, questionEnd, response) ? response : undefined);
    };
    socket.on('connect', () => {
      const framed = Buffer.allocUnsafe(2 + query.length);
      framed.writeUInt16BE(query.length, 0);
      query.copy(framed, 2);
      socket.write(framed);
    });
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk]);
      if (received.length < 2) return;
      const length = received.readUInt16BE(0);
      if (received.length >= 2 + length) finish(received.subarray(2, 2 + length));
    });
    socket.on('error', () => finish(undefined));
    socket.on('close', () => finish(undefined));
  });
}
