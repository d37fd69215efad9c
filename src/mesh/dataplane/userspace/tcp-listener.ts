import { createServer, connect, type Server, type Socket } from 'node:net';
import type { Logger } from '../../../util/logger.js';
import { proxyHeader } from '../../proxy-protocol/header.js';
import { ANY as ANY_HOST } from './layout.js';
import type { Route } from './route.js';
import type { ThreadTable, UpstreamReport } from './splice-protocol.js';
import type { SpliceSink, Splicer, ThreadListener } from './splicer.js';

export interface TcpProxyOptions {
  /** A connect attempt that has not completed by then is abandoned for another backend. */
  connectTimeoutMs: number;
  /** The splice threads: they then accept, connect and relay every connection; without them, Node does. */
  splicer?: Splicer;
}

const BACKLOG = 4096;

/** A listener's routes by the local address its connections arrive at (layout.ts): its VIPs, `wildcard` for any other address, except other VIPs (refused). */
export interface ListenerRoutes {
  byLocal: ReadonlyMap<string, Route>;
  wildcard?: Route;
  vips: ReadonlySet<string>;
}

/**
 * A TCP proxy listener. With the splice threads, they accept its connections, connect each to a
 * backend and relay its bytes with splice(2) (splice-thread.ts), and tell this listener what to
 * count. Without them (koffi or libc missing), Node does: each accepted connection is held paused
 * while an upstream connection is made, and bytes are piped both ways, half-closes included.
 * Either way a refused or timed-out connect, or a backend closing before any byte passed, is
 * retried on another backend, so clients see a refusal only when no backend answers.
 */
export class TcpListener {
  private server?: Server;
  private threads?: ThreadListener;
  /** The table the threads have. */
  private sent?: ThreadTable;
  private host = '';
  private readonly sockets = new Set<Socket>();
  /** Routes by id, of every table this listener had: the threads report connections by route id. */
  private readonly byId = new Map<number, Route>();
  /** The backend of each connection the threads accepted and connected. */
  private readonly accepted = new Map<number, { backend: string }>();

  constructor(
    private routes: ListenerRoutes,
    private readonly opts: TcpProxyOptions,
    private readonly log: Logger,
  ) {
    this.index(routes);
  }

  async listen(host: string, port: number): Promise<void> {
    this.host = host;
    if (this.opts.splicer) {
      this.sent = this.threadTable();
      this.threads = this.opts.splicer.listen(host, port, BACKLOG, this.sent, this.opts.connectTimeoutMs, { upstream: (r) => this.upstream(r) });
      return;
    }
    const server = (this.server = createServer({ pauseOnConnect: true, allowHalfOpen: true, noDelay: true }, (client) => this.accept(client)));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host, port, backlog: BACKLOG }, () => {
        server.off('error', reject);
        resolve();
      });
    });
  }

  setRoutes(routes: ListenerRoutes): void {
    this.routes = routes;
    this.index(routes);
    if (!this.threads) return;
    // Most tables change a few services: the others' listeners send nothing.
    const table = this.threadTable();
    if (sameTable(table, this.sent)) return;
    this.sent = table;
    this.threads.setTable(table);
  }

  /** Stops accepting; established connections go on until they end (draining). */
  stopAccepting(): Promise<void> {
    this.threads?.close(false);
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** Stops accepting and cuts every connection. */
  async destroy(): Promise<void> {
    this.threads?.close(true);
    const closed = this.stopAccepting();
    for (const s of this.sockets) s.destroy();
    await closed;
  }

  private index(routes: ListenerRoutes): void {
    for (const r of [...routes.byLocal.values(), ...(routes.wildcard ? [routes.wildcard] : [])]) this.byId.set(r.id, r);
  }

  private route(local: string): Route | undefined {
    const r = this.routes;
    return r.byLocal.get(local) ?? (r.vips.has(local) ? undefined : r.wildcard);
  }

  /** The routes as the threads take them: a listener on one address has one route, which needs no look-up by local address. */
  private threadTable(): ThreadTable {
    const r = this.routes;
    const all = [...r.byLocal.values(), ...(r.wildcard ? [r.wildcard] : [])];
    const routes = all.map((x) => x.forThreads());
    if (this.host !== ANY_HOST) return { byLocal: [], wildcard: this.route(this.host)?.id, refused: [], routes };
    return { byLocal: [...r.byLocal].map(([a, x]) => [a, x.id]), wildcard: r.wildcard?.id, refused: [...r.vips].filter((v) => !r.byLocal.has(v)), routes };
  }

  /** What a thread tells of a connection it accepted: counted as Node's own would be. */
  private upstream(r: UpstreamReport): SpliceSink | undefined {
    const route = this.byId.get(r.route);
    if (!route) return undefined;
    const counters = route.counters;
    const now = Date.now();
    if (r.first) {
      counters.connections++;
      counters.active++;
    }
    for (const f of r.failed) {
      counters.failed++;
      if (route.markFailed(f, now)) this.log.warn({ service: route.service, entry: route.entry, backend: `${f}:${route.port}`, task: route.taskOf(f), why: 'refused, timed out or closed before answering' }, 'backend failed before any byte passed; trying another');
    }
    counters.retries += r.backend === undefined ? Math.max(0, r.failed.length - 1) : r.failed.length;
    if (r.left) counters.backend(r.left).active--;
    if (r.backend === undefined) {
      counters.active--;
      this.accepted.delete(r.id);
      this.log.warn({ service: route.service, entry: route.entry }, 'no backend accepted the connection');
      return undefined;
    }
    const b = counters.backend(r.backend);
    b.connections++;
    b.active++;
    const known = this.accepted.get(r.id);
    if (known) {
      known.backend = r.backend;
      return undefined;
    }
    const conn = { backend: r.backend };
    this.accepted.set(r.id, conn);
    return {
      bytes: (bytesIn, bytesOut) => {
        counters.bytesIn += bytesIn;
        counters.bytesOut += bytesOut;
      },
      closed: () => {
        counters.active--;
        counters.backend(conn.backend).active--;
        this.accepted.delete(r.id);
      },
    };
  }

  private track(s: Socket): void {
    this.sockets.add(s);
    s.once('close', () => this.sockets.delete(s));
  }

  private accept(client: Socket): void {
    this.track(client);
    client.on('error', () => client.destroy());
    const route = client.localAddress ? this.route(client.localAddress) : undefined;
    if (!route) {
      client.resetAndDestroy();
      return;
    }
    const counters = route.counters;
    counters.connections++;
    counters.active++;
    client.once('close', () => counters.active--);
    this.connectUpstream(client, route, undefined);
  }

  private connectUpstream(client: Socket, route: Route, tried: Set<string> | undefined): void {
    const backend = route.pick(tried, Date.now(), client.remoteAddress);
    if (!backend || client.destroyed) {
      if (!client.destroyed) {
        this.log.warn({ service: route.service, entry: route.entry, tried: tried ? [...tried] : [] }, 'no backend accepted the connection');
        client.resetAndDestroy();
      }
      return;
    }
    if (tried) route.counters.retries++;
    const upstream = connect({ host: backend.address, port: route.port, allowHalfOpen: true, noDelay: true, timeout: this.opts.connectTimeoutMs });
    const abort = () => upstream.destroy();
    const retry = (why: string) => {
      route.counters.failed++;
      upstream.destroy();
      client.off('close', abort);
      if (route.markFailed(backend.address, Date.now())) {
        this.log.warn({ service: route.service, entry: route.entry, backend: `${backend.address}:${route.port}`, task: backend.taskId, why }, 'backend failed before any byte passed; trying another');
      }
      this.connectUpstream(client, route, (tried ?? new Set<string>()).add(backend.address));
    };
    client.once('close', abort);
    upstream.once('timeout', () => retry('connect timeout'));
    upstream.once('error', (err: NodeJS.ErrnoException) => retry(err.code ?? err.message));
    upstream.once('connect', () => {
      upstream.removeAllListeners('timeout').removeAllListeners('error');
      upstream.setTimeout(0);
      client.off('close', abort);
      const perBackend = route.counters.backend(backend.address);
      perBackend.connections++;
      perBackend.active++;
      upstream.once('close', () => perBackend.active--);
      // First, on every backend the connection is moved to; not the client's bytes (not counted).
      if (route.proxyProtocol) upstream.write(proxyHeader(route.proxyProtocol, { ip: client.remoteAddress!, port: client.remotePort! }, { ip: client.localAddress!, port: client.localPort! }));
      this.relay(client, upstream, route, backend.address, retry);
    });
  }

  /**
   * Relays bytes both ways (plain handlers: stream.pipe costs more per chunk on this hot path).
   * Until a first byte passes either way, a backend that resets or closes is one going away
   * (stopped or crashed after accepting): nothing of the client's was delivered, so `retry` may
   * still move the connection to another backend. After that, a reset on one side resets the
   * other, and a clean end is passed on as a half-close. A backend that leaves the table while
   * nothing has passed is left the same way (Route.whileUnanswered).
   */
  private relay(client: Socket, upstream: Socket, route: Route, backend: string, retry: (why: string) => void): void {
    this.track(upstream);
    const counters = route.counters;
    let early = true;
    const answered = () => {
      if (!early) return;
      early = false;
      unwatch();
    };
    const toUpstream = (chunk: Buffer) => {
      answered();
      counters.bytesIn += chunk.length;
      if (!upstream.write(chunk)) client.pause();
    };
    const toClient = (chunk: Buffer) => {
      answered();
      counters.bytesOut += chunk.length;
      if (!client.write(chunk)) upstream.pause();
    };
    const resumeUpstream = () => upstream.resume();
    const clientEnded = () => {
      answered();
      upstream.end();
    };
    const clientFailed = () => upstream.resetAndDestroy();
    // A client gone for good: its half of the upstream connection ends too (a reset if it failed).
    const clientClosed = (hadError: boolean) => (hadError || early ? upstream.resetAndDestroy() : upstream.writableEnded || upstream.end());
    const fail = (why: string) => {
      answered();
      client.off('data', toUpstream).off('end', clientEnded).off('drain', resumeUpstream).off('error', clientFailed).off('close', clientClosed);
      client.pause();
      retry(why);
    };
    client.on('data', toUpstream).on('end', clientEnded).on('drain', resumeUpstream).on('error', clientFailed).once('close', clientClosed);
    upstream.on('data', toClient).on('drain', () => client.resume());
    upstream.on('end', () => {
      if (early) return fail('closed before answering');
      client.end();
    });
    upstream.on('error', (err: NodeJS.ErrnoException) => (early ? fail(err.code ?? err.message) : client.resetAndDestroy()));
    const unwatch = route.whileUnanswered(backend, () => early && !client.destroyed && fail('backend left the table before answering'));
    upstream.once('close', () => unwatch());
    client.resume();
  }
}

/** Whether two tables hold the same routes (the same objects: Route.forThreads keeps one until its backends change) and the same look-up. */
function sameTable(a: ThreadTable, b: ThreadTable | undefined): boolean {
  if (!b || a.wildcard !== b.wildcard || a.routes.length !== b.routes.length || a.routes.some((r, i) => r !== b.routes[i])) return false;
  return JSON.stringify([a.byLocal, a.refused]) === JSON.stringify([b.byLocal, b.refused]);
}
