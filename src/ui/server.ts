import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { invalidArgument } from '../util/errors.js';
import type { Logger } from '../util/logger.js';
import { PAGE } from './page.js';

/** What the page may read through the view's port: GETs of these Engine API paths, nothing that writes. */
const READABLE = /^\/v1\.\d+\/(nodes|tasks|services|events|info|version)$/;

export interface UiServer {
  readonly address: { host: string; port: number };
  close(): Promise<void>;
}

/** `--ui-addr HOST:PORT` as host and port. */
export function parseUiAddr(addr: string): { host: string; port: number } {
  const m = /^(.*):(\d+)$/.exec(addr);
  if (!m || Number(m[2]) > 65535) throw invalidArgument(`--ui-addr "${addr}" must be HOST:PORT, e.g. 127.0.0.1:8088`);
  return { host: m[1] || '0.0.0.0', port: Number(m[2]) };
}

/**
 * The live cluster view: the page and its script, and a read-only window on the Engine API
 * (`/api/v1.41/nodes`, `tasks`, `services`, `events`) answered by the daemon's own API handler.
 */
export async function startUiServer(opts: { addr: string; api: (req: IncomingMessage, res: ServerResponse) => void; logger: Logger }): Promise<UiServer> {
  const { host, port } = parseUiAddr(opts.addr);
  const log = opts.logger.child({ component: 'ui' });
  const script = await readFile(new URL('./client/app.js', import.meta.url));
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://ui');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { 'Content-Type': 'application/json', Allow: 'GET' }).end(JSON.stringify({ message: 'the cluster view is read-only: use the Engine API socket to change the cluster' }));
      return;
    }
    if (url.pathname === '/') {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' }).end(PAGE);
    } else if (url.pathname === '/app.js') {
      res.writeHead(200, { 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'no-store' }).end(script);
    } else if (url.pathname.startsWith('/api/') && READABLE.test(url.pathname.slice('/api'.length))) {
      req.url = req.url!.slice('/api'.length);
      opts.api(req, res);
    } else {
      res.writeHead(404, { 'Content-Type': 'application/json' }).end(JSON.stringify({ message: `no such page ${url.pathname}: the view is at /` }));
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  log.info({ host: address.address, port: address.port }, 'live cluster view listening');
  return {
    address: { host: address.address, port: address.port },
    close: () =>
      new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections(); // the event streams never end by themselves
      }),
  };
}
