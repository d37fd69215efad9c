// A bounded HTTP client load, run inside the lab's outside namespace (`node http-load.js <config JSON>`):
// GETs spread round-robin over the targets at a fixed rate, each with a timeout, until SIGTERM,
// `maxRequests` or `maxMs`; then one JSON line with every request's outcome.
import { request } from 'node:http';

export interface LoadConfig {
  /** "address:port" of each entry point (lab namespace addresses only). */
  targets: string[];
  ratePerSec: number;
  maxRequests: number;
  maxMs: number;
  timeoutMs: number;
}

export interface LoadResult {
  /** Start time (ms since epoch), target, how long it took (ms), and the error when it failed. */
  requests: { at: number; target: string; ms?: number; error?: string }[];
}

function get(target: string, timeoutMs: number): Promise<string | undefined> {
  const [host, port] = target.split(':');
  return new Promise((resolve) => {
    const req = request({ host, port: Number(port), path: '/', agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === 200 ? undefined : `HTTP ${res.statusCode}`));
      res.on('error', (err) => resolve(err.message));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer in ${timeoutMs} ms`)));
    req.on('error', (err) => resolve((err as NodeJS.ErrnoException).code ?? err.message));
    req.end();
  });
}

async function main(config: LoadConfig): Promise<void> {
  const result: LoadResult = { requests: [] };
  const pending = new Set<Promise<void>>();
  const started = Date.now();
  let stopping = false;
  process.on('SIGTERM', () => (stopping = true));
  for (let i = 0; !stopping && i < config.maxRequests && Date.now() - started < config.maxMs; i++) {
    const target = config.targets[i % config.targets.length]!;
    const entry: LoadResult['requests'][number] = { at: Date.now(), target };
    result.requests.push(entry);
    const p = get(target, config.timeoutMs).then((error) => {
      entry.ms = Date.now() - entry.at;
      if (error) entry.error = error;
      pending.delete(p);
    });
    pending.add(p);
    await new Promise((r) => setTimeout(r, 1000 / config.ratePerSec));
  }
  await Promise.all(pending);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

if (process.argv[2]) await main(JSON.parse(process.argv[2]) as LoadConfig);
