import { createSocket, type Socket } from 'node:dgram';
import type { Logger } from '../../util/logger.js';
import type { QueryHandler } from '../query-handler.js';

/** The UDP side of one listening address: every datagram is a query; answers go back to its sender. */
export class UdpListener {
  /** Answers still being forwarded when the listener closes are dropped, not sent on a closed socket. */
  private closed = false;
  /** The port bound (the one asked for, or the one the kernel picked for 0). */
  port = 0;

  private constructor(private readonly socket: Socket) {}

  static bind(host: string, port: number, handler: QueryHandler, log: Logger): Promise<UdpListener> {
    const socket = createSocket({ type: host.includes(':') ? 'udp6' : 'udp4' });
    const listener = new UdpListener(socket);
    // No send callback: it costs a closure per answer; a failed send is an 'error' event instead.
    const reply = (answer: Buffer | undefined, port: number, address: string): void => {
      if (answer && !listener.closed) socket.send(answer, port, address);
    };
    socket.on('message', (msg, rinfo) => {
      const answer = handler.handle(msg, rinfo.address, 'udp');
      if (answer instanceof Promise) answer.then((a) => reply(a, rinfo.port, rinfo.address), (err: unknown) => log.error({ err }, 'DNS query failed'));
      else reply(answer, rinfo.port, rinfo.address);
    });
    return new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.bind({ address: host, port, exclusive: true }, () => {
        socket.off('error', reject);
        socket.on('error', (err) => log.debug({ err, host }, 'DNS UDP send failed'));
        listener.port = socket.address().port;
        resolve(listener);
      });
    });
  }

  close(): Promise<void> {
    this.closed = true;
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}
