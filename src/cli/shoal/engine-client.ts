import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { readFileSync } from 'node:fs';
import { ShoalError, type ErrorCode } from '../../util/errors.js';

export const API_VERSION = '1.41';

/** TLS like the docker CLI: `tls` encrypts, `verify` also checks the daemon's certificate against `ca`. */
export interface TlsOptions {
  verify: boolean;
  ca?: string;
  cert?: string;
  key?: string;
}

/** An error answer of the daemon: its status and `{"message"}`. */
export class ApiError extends ShoalError {
  constructor(
    readonly status: number,
    readonly daemonMessage: string,
  ) {
    super(codeOf(status), `Error response from daemon: ${daemonMessage}`);
  }
}

function codeOf(status: number): ErrorCode {
  if (status === 404) return 'not_found';
  if (status === 409) return 'conflict';
  if (status === 400) return 'invalid_argument';
  return status === 503 ? 'unavailable' : 'internal';
}

type Query = Record<string, string | number | boolean | undefined>;

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  headers?: Record<string, string>;
}

/** An Engine API client over `unix:///path`, `tcp://host:port` (plain or TLS); one kept-alive connection per run. */
export class EngineClient {
  private readonly target: { socketPath: string } | { host: string; port: number };
  private readonly agent: HttpAgent;
  private readonly tls?: { ca?: Buffer; cert?: Buffer; key?: Buffer; rejectUnauthorized: boolean };

  constructor(
    readonly hostUrl: string,
    tls?: TlsOptions,
  ) {
    if (hostUrl.startsWith('unix://')) this.target = { socketPath: hostUrl.slice('unix://'.length) };
    else {
      const m = /^tcp:\/\/([^:/]+|\[[^\]]+\]):(\d+)\/?$/.exec(hostUrl);
      if (!m) throw new ShoalError('invalid_argument', `invalid host "${hostUrl}": use unix:///path/to.sock or tcp://host:port`);
      this.target = { host: m[1]!.replace(/^\[|\]$/g, ''), port: Number(m[2]) };
    }
    if (tls) {
      const read = (what: string, file?: string) => {
        if (!file) return undefined;
        try {
          return readFileSync(file);
        } catch (err) {
          throw new ShoalError('invalid_argument', `could not read the TLS ${what} ${file}: ${(err as Error).message}`);
        }
      };
      this.tls = { ca: read('CA certificate (--tlscacert)', tls.ca), cert: read('certificate (--tlscert)', tls.cert), key: read('key (--tlskey)', tls.key), rejectUnauthorized: tls.verify };
      this.agent = new HttpsAgent({ keepAlive: true, maxSockets: 1 });
    } else this.agent = new HttpAgent({ keepAlive: true, maxSockets: 1 });
  }

  /** Closes the kept-alive connection so the process can exit. */
  close(): void {
    this.agent.destroy();
  }

  /** Sends a request and returns the raw answer stream (status < 400), for logs and other streams. */
  open(method: string, path: string, opts: RequestOptions = {}): Promise<IncomingMessage> {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined) qs.set(k, String(v));
    const fullPath = `${path.startsWith('/shoal/') ? '' : `/v${API_VERSION}`}${path}${qs.size ? `?${qs}` : ''}`;
    const body = opts.body === undefined ? undefined : Buffer.from(JSON.stringify(opts.body));
    // On TCP the Host header names the daemon (TLS checks its certificate against it); a socket has no host.
    const host = 'host' in this.target ? `${this.target.host.includes(':') ? `[${this.target.host}]` : this.target.host}:${this.target.port}` : 'shoal';
    const headers: Record<string, string | number> = { Host: host, 'User-Agent': 'shoal-cli', ...opts.headers };
    if (body) Object.assign(headers, { 'Content-Type': 'application/json', 'Content-Length': body.length });
    else if (method !== 'GET' && method !== 'HEAD') headers['Content-Length'] = 0;
    const request = this.tls ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = request({ ...this.target, ...this.tls, agent: this.agent, method, path: fullPath, headers }, (res) => {
        if ((res.statusCode ?? 500) < 400) {
          resolve(res);
          return;
        }
        readAll(res).then((text) => reject(new ApiError(res.statusCode ?? 500, daemonMessage(text))), reject);
      });
      req.on('error', (err) => reject(new ShoalError('unavailable', `Cannot connect to the Shoal daemon at ${this.hostUrl}. Is shoald running? (${err.message})`)));
      req.end(body);
    });
  }

  /** Sends a request and parses the JSON answer (undefined for an empty one). */
  async call<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const text = await readAll(await this.open(method, path, opts));
    return (text === '' ? undefined : JSON.parse(text)) as T;
  }

  /** The answer's bytes as text, for inspect (which prints the daemon's JSON as it came). */
  async raw(path: string, query?: Query): Promise<string> {
    return readAll(await this.open('GET', path, { query }));
  }

  get<T>(path: string, query?: Query): Promise<T> {
    return this.call<T>('GET', path, { query });
  }

  post<T>(path: string, body?: unknown, query?: Query, headers?: Record<string, string>): Promise<T> {
    return this.call<T>('POST', path, { body, query, headers });
  }

  delete(path: string, query?: Query): Promise<void> {
    return this.call<void>('DELETE', path, { query });
  }
}

function readAll(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => resolve(Buffer.concat(chunks).toString()));
    res.on('error', reject);
  });
}

function daemonMessage(text: string): string {
  try {
    return (JSON.parse(text) as { message: string }).message;
  } catch {
    return text.trim();
  }
}

/** `filters=` as the Engine API wants it: `{"name":{"web":true}}`. */
export function filtersQuery(filters: Record<string, string[]>): string | undefined {
  const entries = Object.entries(filters).filter(([, v]) => v.length > 0);
  if (entries.length === 0) return undefined;
  return JSON.stringify(Object.fromEntries(entries.map(([k, vs]) => [k, Object.fromEntries(vs.map((v) => [v, true]))])));
}

/** `--filter key=value` flags into the filters map. */
export function parseFilterFlags(values: string[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const f of values) {
    const eq = f.indexOf('=');
    if (eq <= 0) throw new ShoalError('invalid_argument', `bad format of filter (expected name=value): "${f}"`);
    (out[f.slice(0, eq).trim().toLowerCase()] ??= []).push(f.slice(eq + 1));
  }
  return out;
}
