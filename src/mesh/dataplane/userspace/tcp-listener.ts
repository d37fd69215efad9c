import { createServer, connect, type Server, type Socket } from 'node:net';
import type { Logger } from '../../../util/logger.js';
import type { Route } from './route.js';
import { quiet, type SplicedConnection, type Splicer } from './splicer.js';

export interface TcpProxyOptions {
  /** A connect attempt that has not completed by then is abandoned for another backend. */
  connectTimeoutMs: number;
  /** Where established connections are handed over to be relayed by splice(2); without it Node relays every byte. */
  splicer?: Splicer;
}

/**
 * Chunks a connection passes in Node before it is handed to the splicer: a connection that sends one
 * request and closes (the common short one) is cheaper to finish here than to hand over.
 */
const SPLICE_AFTER_CHUNKS = 4;

/** Finds the route of a connection by the local address it arrived at; undefined refuses it. */
export type RouteLookup = (localAddress: string) => Route | undefined;

/**
 * A TCP proxy listener. Each accepted connection is held paused while an upstream connection is
 * made; a refused or timed-out connect is retried on another backend, so clients see a refusal
 * only when no backend answers. Then bytes are piped both ways, half-closes included.
 */
export class TcpListener {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly spliced = new Set<SplicedConnection>();

  constructor(
    private lookup: RouteLookup,
    private readonly opts: TcpProxyOptions,
    private readonly log: Logger,
  ) {
    this.server = createServer({ pauseOnConnect: true, allowHalfOpen: true, noDelay: true }, (client) => this.accept(client));
  }

  listen(host: string, port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ host, port, backlog: 4096 }, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
  }

  setLookup(lookup: RouteLookup): void {
    this.lookup = lookup;
  }

  /** Stops accepting; established connections go on until they end (draining). */
  stopAccepting(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  /** Stops accepting and cuts every connection. */
  async destroy(): Promise<void> {
    const closed = this.stopAccepting();
    for (const s of this.sockets) s.destroy();
    for (const c of this.spliced) c.reset();
    await closed;
  }

  private track(s: Socket): void {
    this.sockets.add(s);
    s.once('close', () => this.sockets.delete(s));
  }

  private accept(client: Socket): void {
    this.track(client);
    client.on('error', () => client.destroy());
    const route = client.localAddress ? this.lookup(client.localAddress) : undefined;
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
    const backend = route.pick(tried, Date.now());
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
      this.relay(client, upstream, route, backend.address, perBackend, retry);
    });
  }

  /**
   * Relays bytes both ways (plain handlers: stream.pipe costs more per chunk on this hot path).
   * Until a first byte passes either way, a backend that resets or closes is one going away
   * (stopped or crashed after accepting): nothing of the client's was delivered, so `retry` may
   * still move the connection to another backend. After that, a reset on one side resets the
   * other, and a clean end is passed on as a half-close. A backend that leaves the table while
   * nothing has passed is left the same way (Route.whileUnanswered). A connection that goes on
   * past its first exchange is handed to the splicer, at a moment nothing is buffered here.
   */
  private relay(client: Socket, upstream: Socket, route: Route, backend: string, perBackend: { active: number }, retry: (why: string) => void): void {
    this.track(upstream);
    const counters = route.counters;
    const splicer = this.opts.splicer;
    let early = true;
    let chunks = 0;
    let ended = false;
    const answered = () => {
      if (!early) return;
      early = false;
      unwatch();
    };
    const handOver = () => {
      const conn = splicer!.adopt(client, upstream, {
        bytes: (bytesIn, bytesOut) => {
          counters.bytesIn += bytesIn;
          counters.bytesOut += bytesOut;
        },
        closed: () => {
          counters.active--;
          perBackend.active--;
          this.spliced.delete(conn!);
        },
      });
      if (!conn) return;
      this.sockets.delete(client);
      this.sockets.delete(upstream);
      this.spliced.add(conn);
    };
    const passed = () => {
      if (++chunks >= SPLICE_AFTER_CHUNKS && splicer && !ended && quiet(client, upstream)) handOver();
    };
    const toUpstream = (chunk: Buffer) => {
      answered();
      counters.bytesIn += chunk.length;
      if (!upstream.write(chunk)) client.pause();
      else passed();
    };
    const toClient = (chunk: Buffer) => {
      answered();
      counters.bytesOut += chunk.length;
      if (!client.write(chunk)) upstream.pause();
      else passed();
    };
    const resumeUpstream = () => upstream.resume();
    const clientEnded = () => {
      answered();
      ended = true;
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
      ended = true;
      client.end();
    });
    upstream.on('error', (err: NodeJS.ErrnoException) => (early ? fail(err.code ?? err.message) : client.resetAndDestroy()));
    const unwatch = route.whileUnanswered(backend, () => early && !client.destroyed && fail('backend left the table before answering'));
    upstream.once('close', () => unwatch());
    client.resume();
  }
}
