import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { randomInt } from 'node:crypto';
import type { Clock, TimerHandle } from '../../util/clock.js';
import { answersQuery } from './match.js';
import type { Upstream } from './resolv-conf.js';

interface Pending {
  query: Buffer;
  questionEnd: number;
  upstream: Upstream;
  timer: TimerHandle;
  done: (response: Buffer | undefined) => void;
}

/**
 * Sends queries to upstream resolvers over UDP from one socket per address family, under fresh
 * random IDs. An answer is taken only from the upstream asked, with the ID and question sent;
 * anything else arriving on the socket is ignored.
 */
export class UdpExchange {
  private readonly sockets = new Map<'udp4' | 'udp6', Socket>();
  private readonly pending = new Map<number, Pending>();

  constructor(private readonly clock: Clock) {}

  /** Resolves with the answer (its ID set back to the query's), or undefined after `timeoutMs`. */
  exchange(query: Buffer, questionEnd: number, upstream: Upstream, timeoutMs: number): Promise<Buffer | undefined> {
    return new Promise((resolve) => {
      let id: number;
      do id = randomInt(0x10000);
      while (this.pending.has(id));
      const sent = Buffer.from(query);
      sent.writeUInt16BE(id, 0);
      const originalId = query.readUInt16BE(0);
      const timer = this.clock.setTimeout(() => finish(undefined), timeoutMs);
      const finish = (response: Buffer | undefined): void => {
        if (this.pending.get(id)?.timer !== timer) return;
        this.pending.delete(id);
        this.clock.clearTimeout(timer);
        response?.writeUInt16BE(originalId, 0);
        resolve(response);
      };
      this.pending.set(id, { query: sent, questionEnd, upstream, timer, done: finish });
      this.socketFor(upstream).send(sent, upstream.port, upstream.host, (err) => {
        if (err) finish(undefined);
      });
    });
  }

  private socketFor(upstream: Upstream): Socket {
    const family = isIPv6(upstream.host) ? 'udp6' : 'udp4';
    let socket = this.sockets.get(family);
    if (!socket) {
      socket = createSocket(family);
      socket.on('message', (msg, rinfo) => this.onMessage(msg, rinfo));
      socket.on('error', () => {}); // a send error is reported to its callback; the socket stays usable
      socket.unref();
      this.sockets.set(family, socket);
    }
    return socket;
  }

  private onMessage(msg: Buffer, rinfo: RemoteInfo): void {
    if (msg.length < 2) return;
    const p = this.pending.get(msg.readUInt16BE(0));
    if (!p || p.upstream.port !== rinfo.port || p.upstream.host !== rinfo.address) return;
    if (!answersQuery(p.query, p.questionEnd, msg)) return;
    p.done(msg);
  }

  get inFlight(): number {
    return this.pending.size;
  }

  close(): void {
    for (const p of [...this.pending.values()]) p.done(undefined);
    for (const s of this.sockets.values()) s.close();
    this.sockets.clear();
  }
}
