// A client for mesh tests, run inside a lab namespace: `node probe.js '<json request>'`; prints a JSON result.
// Each TCP request is one new connection (that sends `request` first, if given) and reads the task's first line ("<name>"); each UDP
// request a datagram from a fresh socket (a new flow) that reads the task's answer.
// In count mode a UDP socket stays bound until the run ends: a port the kernel handed out again
// would be the same flow (pinned to its first backend by conntrack or the proxy), not a new one.
import { connect } from 'node:net';
import { createSocket, type Socket } from 'node:dgram';
import { existsSync } from 'node:fs';

export interface Target {
  host: string;
  port: number;
}

export type ProbeRequest =
  /** `n` requests to each target, one after the other; from `localPort` and `localAddress` if given. */
  | { mode: 'count'; proto: 'tcp' | 'udp'; targets: Target[]; n: number; timeoutMs?: number; request?: string; localPort?: number; localAddress?: string }
  /** `concurrency` loops of requests over the targets for `durationMs`, or until `stopFile` exists. */
  | { mode: 'load'; proto: 'tcp' | 'udp'; targets: Target[]; concurrency: number; durationMs: number; timeoutMs?: number; stopFile?: string; request?: string }
  /** One connection kept open, a line every `intervalMs`: which task answers each. */
  | { mode: 'hold'; target: Target; lines: number; intervalMs: number }
  /** `n` datagrams, each from a fresh socket bound to the same local port (so one conntrack flow). */
  | { mode: 'udp-flow'; target: Target; localPort: number; n: number; timeoutMs?: number };

export interface ProbeResult {
  /** Answers by task name. */
  counts: Record<string, number>;
  failures: number;
  /** The first few failures' messages, with when they happened (ms since the start). */
  errors: string[];
  /** hold / udp-flow: every answer, in order. */
  answers: string[];
  /** load: when each failed request started (unix ms). */
  failedStarts: number[];
  /** load: requests answered after more than a second (a SYN retransmitted). */
  slow: number;
  /** load: by task name, then by target host, when the last request that task answered started (unix ms). */
  lastStarted: Record<string, Record<string, number>>;
}

/** A request answered later than this waited for a retransmitted SYN (Linux's first retransmit is at 1 s). */
const SLOW_MS = 900;

const MAX_ERRORS = 20;

function tcpOnce(t: Target, timeoutMs: number, request?: string, localPort?: number, localAddress?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: t.host, port: t.port, localPort, ...(localAddress ? { localAddress } : {}) }, () => request && s.write(request));
    // Its local port (bound once connect ran), named in the error: to match a failure with conntrack's entries and events.
    let port: number | undefined;
    setImmediate(() => (port = s.localPort));
    let buf = '';
    const timer = setTimeout(() => {
      const phase = s.connecting ? 'connecting to' : 'waiting for the answer from';
      s.destroy();
      reject(new Error(`timeout ${phase} ${t.host}:${t.port}`));
    }, timeoutMs);
    s.on('data', (d) => {
      buf += d.toString();
      const i = buf.indexOf('\n');
      if (i >= 0) {
        clearTimeout(timer);
        s.end();
        resolve(buf.slice(0, i));
      }
    });
    s.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new Error(`${e.code ?? e.message} ${t.host}:${t.port} from ${port}`));
    });
    s.on('end', () => {
      clearTimeout(timer);
      reject(new Error(`closed without an answer ${t.host}:${t.port}`));
    });
  });
}

/** One datagram and its answer; the socket is closed after, or kept in `bound` when given. */
function udpOnce(t: Target, timeoutMs: number, localPort?: number, localAddress?: string, bound?: Socket[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    let settled = false;
    const done = (err: Error | undefined, answer?: string) => {
      // Once: a kept socket still listens for errors, and must be closed only once.
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (bound) bound.push(s);
      else s.close();
      if (err) reject(err);
      else resolve(answer!);
    };
    const timer = setTimeout(() => done(new Error(`timeout ${t.host}:${t.port}`)), timeoutMs);
    s.on('message', (m) => done(undefined, m.toString()));
    s.on('error', (e: NodeJS.ErrnoException) => done(new Error(`${e.code ?? e.message} ${t.host}:${t.port}`)));
    s.bind(localPort ?? 0, localAddress, () => s.send('?', t.port, t.host));
  });
}

async function run(req: ProbeRequest): Promise<ProbeResult> {
  const res: ProbeResult = { counts: {}, failures: 0, errors: [], answers: [], failedStarts: [], slow: 0, lastStarted: {} };
  const t0 = Date.now();
  const ok = (name: string) => (res.counts[name] = (res.counts[name] ?? 0) + 1);
  const fail = (err: unknown, startedAt?: number) => {
    res.failures++;
    const started = startedAt === undefined ? '' : `, started at ${startedAt - t0} ms`;
    if (res.errors.length < MAX_ERRORS) res.errors.push(`${String((err as Error).message ?? err)} at ${Date.now() - t0} ms${started}`);
  };
  switch (req.mode) {
    case 'count': {
      const bound: Socket[] = [];
      const held = req.localPort === undefined ? bound : undefined;
      const once = (t: Target, ms: number) => (req.proto === 'tcp' ? tcpOnce(t, ms, req.request, req.localPort, req.localAddress) : udpOnce(t, ms, req.localPort, req.localAddress, held));
      for (const t of req.targets) {
        for (let i = 0; i < req.n; i++) await once(t, req.timeoutMs ?? 2000).then(ok, fail);
      }
      for (const s of bound) s.close();
      return res;
    }
    case 'load': {
      const once = req.proto === 'tcp' ? (t: Target, ms: number) => tcpOnce(t, ms, req.request) : udpOnce;
      const end = Date.now() + req.durationMs;
      let next = 0;
      await Promise.all(
        Array.from({ length: req.concurrency }, async () => {
          while (Date.now() < end && !(req.stopFile && existsSync(req.stopFile))) {
            const startedAt = Date.now();
            const target = req.targets[next++ % req.targets.length]!;
            await once(target, req.timeoutMs ?? 3000).then(
              (name) => {
                ok(name);
                if (Date.now() - startedAt > SLOW_MS) res.slow++;
                (res.lastStarted[name] ??= {})[target.host] = Math.max(startedAt, res.lastStarted[name]?.[target.host] ?? 0);
              },
              (err: unknown) => {
                fail(err, startedAt);
                res.failedStarts.push(startedAt);
              },
            );
          }
        }),
      );
      return res;
    }
    case 'hold':
      return hold(req.target, req.lines, req.intervalMs, res);
    case 'udp-flow':
      for (let i = 0; i < req.n; i++) {
        await udpOnce(req.target, req.timeoutMs ?? 2000, req.localPort).then((a) => {
          ok(a);
          res.answers.push(a);
        }, fail);
      }
      return res;
  }
}

function hold(t: Target, lines: number, intervalMs: number, res: ProbeResult): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const s = connect({ host: t.host, port: t.port });
    let buf = '';
    let sent = 0;
    let timer: NodeJS.Timeout | undefined;
    const finish = (err?: Error) => {
      if (timer) clearInterval(timer);
      if (err) {
        res.failures++;
        res.errors.push(err.message);
      }
      s.destroy();
      resolve(res);
    };
    s.on('data', (d) => {
      buf += d.toString();
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        if (res.answers.length === 0) process.stderr.write('probe greeted\n');
        res.answers.push(buf.slice(0, i));
        buf = buf.slice(i + 1);
      }
      if (res.answers.length === lines + 1) finish();
    });
    s.on('error', (e) => finish(e));
    s.on('end', () => finish(new Error(`closed after ${res.answers.length} answers`)));
    s.on('connect', () => {
      timer = setInterval(() => {
        if (sent < lines) s.write(`line${sent++}\n`);
      }, intervalMs);
    });
  });
}

if (process.argv[2]) {
  // Tests wait for these lines before changing what the probe is connected to.
  process.stderr.write('probe started\n');
  run(JSON.parse(process.argv[2]) as ProbeRequest).then(
    // Exit at once: a connection whose far end died may sit half-closed for minutes.
    (r) => process.stdout.write(`${JSON.stringify(r)}\n`, () => process.exit(0)),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
