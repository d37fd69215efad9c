import { createServer, type Server, type Socket } from 'node:net';
import type { Logger } from '../../util/logger.js';
import type { QueryHandler } from '../query-handler.js';

export interface TcpLimits {
  maxConnections: number;
  /** A connection with no query for this long is closed. */
  idleTimeoutMs: number;
  /** A query announced longer than this closes the connection. */
  maxQueryBytes: number;
}

/**
 * The TCP side of one listening address: length-prefixed queries (RFC 7766), several per
 * connection, answered as each is ready. Connections beyond the limit are closed at once.
 */
export class TcpListener {
  private readonly connections = new Set<Socket>();

  private constructor(private readonly server: Server) {}

  static bind(host: string, port: number, handler: QueryHandler, limits: TcpLimits, log: Logger): Promise<TcpListener> {
    const server = createServer();
    const listener = new TcpListener(server);
    server.on('connection', (socket) => listener.accept(socket, handler, limits, log));
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host, port, exclusive: true }, () => {
        server.off('error', reject);
        server.on('error', (err) => log.warn({ err, host }, 'DNS TCP server error'));
        resolve(listener);
      });
    });
  }

  private accept(socket: Socket, handler: QueryHandler, limits: TcpLimits, log: Logger): void {
    if (this.connections.size >= limits.maxConnections) {
      socket.destroy();
      return;
    }
    this.connections.add(socket);
    socket.on('close', () => this.connections.delete(socket));
    socket.on('error', () => socket.destroy());
    socket.setTimeout(limits.idleTimeoutMs, () => socket.destroy());
    const source = socket.remoteAddress ?? '';
    const reply = (answer: Buffer | undefined): void => {
      if (!answer || socket.destroyed) return;
      const framed = Buffer.allocUnsafe(2 + answer.length);
      framed.writeUInt16BE(answer.length, 0);
      answer.copy(framed, 2);
      // A client that sends without reading would make us buffer answers without end: stop
      // reading its queries until it has taken what is queued.
      if (!socket.write(framed) && !socket.isPaused()) {
        socket.pause();
        socket.once('drain', () => socket.resume());
      }
    };
    let buffered = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      buffered = buffered.length ? Buffer.concat([buffered, chunk]) : chunk;
      while (buffered.length >= 2) {
        const length = buffered.readUInt16BE(0);
        if (length > limits.maxQueryBytes) {
          socket.destroy();
          return;
        }
        if (buffered.length < 2 + length) break;
        const query = buffered.subarray(2, 2 + length);
        buffered = buffered.subarray(2 + length);
        const answer = handler.handle(query, source, 'tcp');
        if (answer instanceof Promise) answer.then(reply, (err: unknown) => log.error({ err }, 'DNS query failed'));
        else reply(answer);
      }
    });
  }

  get port(): number {
    const address = this.server.address();
    return typeof address === 'object' && address ? address.port : 0;
  }

  close(): Promise<void> {
    for (const socket of this.connections) socket.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
