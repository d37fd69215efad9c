import { chmod, lstat, mkdir, readFile, unlink } from 'node:fs/promises';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { connect, type AddressInfo } from 'node:net';
import { dirname } from 'node:path';
import { ShoalError, invalidArgument } from '../util/errors.js';
import type { Logger } from '../util/logger.js';

export interface ListenOptions {
  /** The Engine API's unix socket, e.g. /run/shoal/shoal.sock (created 0660, its directory too). */
  socketPath?: string;
  /** Also listen on TCP: with `tls` (client certificates required, like dockerd --tlsverify), else only with `insecureTcp`. */
  tcp?: { host: string; port: number; tls?: { ca: string; cert: string; key: string } };
  /** Allow TCP without TLS: anyone who reaches the port controls the swarm. */
  insecureTcp?: boolean;
}

export interface Listeners {
  servers: Server[];
  socketPath?: string;
  tcpAddress?: { host: string; port: number };
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export async function listen(opts: ListenOptions, handler: Handler, log: Logger): Promise<Listeners> {
  if (!opts.socketPath && !opts.tcp) throw invalidArgument('the API server needs a unix socket path or a TCP address to listen on');
  const listeners: Listeners = { servers: [] };
  try {
    if (opts.socketPath) {
      await prepareSocketPath(opts.socketPath);
      const server = newServer(createHttpServer(handler));
      listeners.servers.push(server);
      await listenOn(server, opts.socketPath);
      await chmod(opts.socketPath, 0o660);
      listeners.socketPath = opts.socketPath;
      log.info({ socket: opts.socketPath }, 'Engine API listening');
    }
    if (opts.tcp) {
      const { host, port, tls } = opts.tcp;
      if (!tls && !opts.insecureTcp) {
        throw invalidArgument(
          `refusing to serve the Engine API on tcp://${host}:${port} without TLS: give the CA, certificate and key (client certificates are then required), or allow an unauthenticated port explicitly with insecureTcp`,
        );
      }
      const server = newServer(
        tls
          ? createHttpsServer(
              { ca: await readFile(tls.ca), cert: await readFile(tls.cert), key: await readFile(tls.key), requestCert: true, rejectUnauthorized: true },
              handler,
            )
          : createHttpServer(handler),
      );
      listeners.servers.push(server);
      await listenOn(server, port, host);
      const address = server.address() as AddressInfo;
      listeners.tcpAddress = { host: address.address, port: address.port };
      log.info({ ...listeners.tcpAddress, tls: Boolean(tls) }, 'Engine API listening on TCP');
    }
    return listeners;
  } catch (err) {
    await closeListeners(listeners);
    throw err;
  }
}

export async function closeListeners(l: Listeners): Promise<void> {
  await Promise.all(
    l.servers.map(
      (s) =>
        new Promise<void>((done) => {
          s.close(() => done());
          // Event and log streams never end by themselves.
          s.closeAllConnections();
        }),
    ),
  );
  if (l.socketPath) await unlink(l.socketPath).catch(() => undefined);
}

function newServer(server: Server): Server {
  // Image imports may take long to upload; streams (events, logs) are answers, not requests.
  server.requestTimeout = 0;
  // A request that is not even HTTP still gets Docker's error shape.
  server.on('clientError', (err: Error, socket) => {
    if (!socket.writable) return;
    const body = `${JSON.stringify({ message: `malformed HTTP request: ${err.message}` })}\n`;
    socket.end(`HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  });
  return server;
}

function listenOn(server: Server, port: number | string, host?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    const done = (): void => {
      server.off('error', reject);
      resolve();
    };
    if (typeof port === 'string') server.listen(port, done);
    else server.listen(port, host, done);
  });
}

/** Creates the socket's directory and removes a stale socket file; a live one means another daemon. */
async function prepareSocketPath(path: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const stat = await lstat(path).catch(() => undefined);
  if (!stat) return;
  if (!stat.isSocket()) throw invalidArgument(`${path} exists and is not a socket: remove it or choose another socket path`);
  if (await socketAnswers(path)) {
    throw new ShoalError('unavailable', `another daemon is already listening on ${path}: stop it or choose another socket path`);
  }
  await unlink(path);
}

function socketAnswers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect(path);
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
  });
}
