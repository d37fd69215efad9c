import { request } from 'node:http';
import { ShoalError } from '../../util/errors.js';

/** A small Engine API client over a unix socket (`unix:///path`) or plain TCP (`tcp://host:port`). */
export class EngineClient {
  private readonly target: { socketPath: string } | { host: string; port: number };

  constructor(readonly hostUrl: string) {
    if (hostUrl.startsWith('unix://')) this.target = { socketPath: hostUrl.slice('unix://'.length) };
    else {
      const m = /^tcp:\/\/([^:]+):(\d+)$/.exec(hostUrl);
      if (!m) throw new ShoalError('invalid_argument', `invalid host "${hostUrl}": use unix:///path/to.sock or tcp://host:port`);
      this.target = { host: m[1], port: Number(m[2]) };
    }
  }

  /** GET a JSON document; an error answer becomes a ShoalError with the daemon's message. */
  get<T>(path: string): Promise<T> {
    return new Promise((resolve, reject) => {
      const req = request({ ...this.target, method: 'GET', path: `/v1.41${path}`, headers: { Host: 'shoal' } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          if ((res.statusCode ?? 500) >= 400) {
            let message = text;
            try {
              message = (JSON.parse(text) as { message: string }).message;
            } catch {
              // not JSON: keep the raw text
            }
            reject(new ShoalError('unavailable', `Error response from daemon: ${message}`));
            return;
          }
          resolve(JSON.parse(text) as T);
        });
      });
      req.on('error', (err) =>
        reject(new ShoalError('unavailable', `Cannot connect to the Shoal daemon at ${this.hostUrl}. Is shoald running? (${err.message})`)),
      );
      req.end();
    });
  }
}
