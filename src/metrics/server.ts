import { createServer, type Server } from 'node:http';
import { errorMessage, ShoalError } from '../util/errors.js';
import type { Logger } from '../util/logger.js';
import { render, type Collector } from './exposition.js';

export const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** `--metrics-addr HOST:PORT`: serves `GET /metrics` in Prometheus text format from the collectors. */
export class MetricsServer {
  private readonly server: Server;

  constructor(
    private readonly collectors: Collector[],
    private readonly log: Logger,
  ) {
    this.server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (req.method !== 'GET' || path !== '/metrics') {
        res.writeHead(404, { 'Content-Type': 'text/plain' }).end('only GET /metrics is served here\n');
        return;
      }
      this.scrape().then(
        (text) => res.writeHead(200, { 'Content-Type': CONTENT_TYPE }).end(text),
        (err: unknown) => {
          this.log.error({ err: errorMessage(err) }, 'metrics scrape failed');
          res.writeHead(500, { 'Content-Type': 'text/plain' }).end(`scrape failed: ${errorMessage(err)}\n`);
        },
      );
    });
  }

  /** Every collector's families; one that fails is logged and left out, so the rest are still served. */
  async scrape(): Promise<string> {
    const results = await Promise.allSettled(this.collectors.map(async (c) => c()));
    const families = results.flatMap((r) => {
      if (r.status === 'fulfilled') return r.value;
      this.log.warn({ err: errorMessage(r.reason) }, 'a metrics collector failed; its metrics are left out of this scrape');
      return [];
    });
    return render(families);
  }

  listen(addr: string): Promise<string> {
    const m = /^(?:(.*):)?(\d+)$/.exec(addr);
    if (!m) return Promise.reject(new ShoalError('invalid_argument', `--metrics-addr "${addr}" must be HOST:PORT or :PORT, e.g. 0.0.0.0:9323`));
    const host = m[1]?.replace(/^\[|\]$/g, '') || '0.0.0.0';
    return new Promise((resolve, reject) => {
      this.server.once('error', (err) => reject(new ShoalError('unavailable', `cannot serve metrics on ${addr}: ${err.message}; choose another --metrics-addr`)));
      this.server.listen({ host, port: Number(m[2]) }, () => {
        const a = this.server.address();
        resolve(typeof a === 'object' && a ? `${a.address}:${a.port}` : addr);
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
