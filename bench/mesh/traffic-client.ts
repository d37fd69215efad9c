// The client of the mesh bench: `node traffic-client.js '<json TrafficRequest>'`, run in the lab namespace; prints a TrafficResult.
import { connect, type Socket } from 'node:net';
import { CLOSE_REQUEST, KEEP_ALIVE_REQUEST, RESPONSE } from './traffic-protocol.js';

export interface TrafficRequest {
  /** keepalive: requests one after the other on `concurrency` connections; newconn: one connection per request; bulk: one connection reading. */
  mode: 'keepalive' | 'newconn' | 'bulk';
  host: string;
  port: number;
  concurrency: number;
  durationMs: number;
}

export interface TrafficResult {
  /** Requests answered (keepalive, newconn) or bytes read (bulk). */
  ops: number;
  elapsedMs: number;
  /** Per-request latency in ms (keepalive, newconn). */
  p50: number;
  p99: number;
  errors: number;
  firstError?: string;
}

const CONNECT_TIMEOUT_MS = 3000;

async function run(req: TrafficRequest): Promise<TrafficResult> {
  const latencies: number[] = [];
  let ops = 0;
  let errors = 0;
  let firstError: string | undefined;
  const fail = (e: unknown) => {
    errors++;
    firstError ??= String((e as Error).message ?? e);
  };
  const t0 = performance.now();
  const end = t0 + req.durationMs;
  if (req.mode === 'bulk') {
    ops = await bulk(req, end).catch((e: unknown) => (fail(e), 0));
  } else {
    const loop = req.mode === 'keepalive' ? keepAlive : newConnections;
    await Promise.all(Array.from({ length: req.concurrency }, () => loop(req, end, latencies, () => ops++).catch(fail)));
  }
  const elapsedMs = performance.now() - t0;
  latencies.sort((a, b) => a - b);
  const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0;
  return { ops, elapsedMs, p50: q(0.5), p99: q(0.99), errors, ...(firstError ? { firstError } : {}) };
}

function open(req: TrafficRequest): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: req.host, port: req.port, noDelay: true, timeout: CONNECT_TIMEOUT_MS });
    s.once('connect', () => {
      s.setTimeout(0);
      resolve(s);
    });
    s.once('timeout', () => (s.destroy(), reject(new Error('connect timeout'))));
    s.once('error', reject);
  });
}

/** Counts answered requests by bytes: every answer is RESPONSE.length bytes. */
async function keepAlive(req: TrafficRequest, end: number, latencies: number[], done: () => void): Promise<void> {
  const s = await open(req);
  await new Promise<void>((resolve, reject) => {
    let pending = 0;
    let sentAt = 0;
    const send = () => {
      if (performance.now() >= end) {
        s.destroy();
        return resolve();
      }
      sentAt = performance.now();
      s.write(KEEP_ALIVE_REQUEST);
    };
    s.on('data', (d) => {
      pending += d.length;
      while (pending >= RESPONSE.length) {
        pending -= RESPONSE.length;
        latencies.push(performance.now() - sentAt);
        done();
        send();
      }
    });
    s.on('error', reject);
    s.on('close', () => resolve());
    send();
  });
}

async function newConnections(req: TrafficRequest, end: number, latencies: number[], done: () => void): Promise<void> {
  while (performance.now() < end) {
    const t = performance.now();
    const s = await open(req);
    await new Promise<void>((resolve, reject) => {
      let got = 0;
      s.on('data', (d) => (got += d.length));
      s.on('end', () => {
        s.end();
        if (got === RESPONSE.length) {
          latencies.push(performance.now() - t);
          done();
          resolve();
        } else reject(new Error(`short answer (${got} bytes)`));
      });
      s.on('error', reject);
      s.write(CLOSE_REQUEST);
    });
  }
}

async function bulk(req: TrafficRequest, end: number): Promise<number> {
  const s = await open(req);
  return new Promise((resolve, reject) => {
    let bytes = 0;
    s.on('data', (d) => {
      bytes += d.length;
      if (performance.now() >= end) {
        s.destroy();
        resolve(bytes);
      }
    });
    s.on('error', reject);
    s.on('close', () => resolve(bytes));
  });
}

if (process.argv[2]) {
  run(JSON.parse(process.argv[2]) as TrafficRequest).then(
    (r) => console.log(JSON.stringify(r)),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
