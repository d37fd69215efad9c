import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, closeSync, rmSync, readFileSync } from 'node:fs';
import { connect, type ClientHttp2Session } from 'node:http2';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sleep } from '../../../src/util/clock.js';
import { startedPids } from '../pids.js';

const MAIN = join(dirname(fileURLToPath(import.meta.url)), 'member-main.js');

/**
 * A TCP port free on loopback right now, below the kernel's ephemeral range (32768 and up): a port
 * from that range can be taken, before its member listens on it, as the source port of another
 * member's outgoing connection (seen: a member dying of EADDRINUSE at start).
 */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const srv = createServer();
    const bound = await new Promise<boolean>((r) => {
      srv.once('error', () => r(false));
      srv.listen(port, '127.0.0.1', () => r(true));
    });
    if (!bound) continue;
    await new Promise((r) => srv.close(r));
    return port;
  }
}

interface Member {
  id: string;
  dir: string;
  raftPort: number;
  httpPort: number;
  proc?: ChildProcess;
}

export interface MemberStatus {
  id: string;
  term: number;
  leader?: string;
  isLeader: boolean;
  commit: number;
  applied: number;
}

/** Raft members as separate processes on loopback, each with its own data directory; `destroy` kills and removes all. */
export class MemberCluster {
  readonly members: Member[] = [];
  /** One HTTP/2 session per member (etcd's client in the bench has one too), opened on first use. */
  private readonly sessions = new Map<string, ClientHttp2Session>();
  private readonly root = mkdtempSync(join(tmpdir(), 'shoal-raft-procs-'));

  static async create(size: number, env: NodeJS.ProcessEnv = {}): Promise<MemberCluster> {
    const c = new MemberCluster(env);
    for (let i = 1; i <= size; i++) c.members.push({ id: `m${i}`, dir: join(c.root, `m${i}`), raftPort: await freePort(), httpPort: await freePort() });
    for (const m of c.members) c.start(m.id);
    return c;
  }

  private constructor(private readonly env: NodeJS.ProcessEnv) {}

  member(id: string): Member {
    return this.members.find((m) => m.id === id)!;
  }

  start(id: string): void {
    const m = this.member(id);
    const peers = this.members.map((p) => ({ id: p.id, addr: `127.0.0.1:${p.raftPort}` }));
    const fd = openSync(join(this.root, `${id}.log`), 'a');
    m.proc = spawn(process.execPath, [MAIN, m.id, m.dir, String(m.raftPort), String(m.httpPort), JSON.stringify(peers)], {
      stdio: ['ignore', fd, fd],
      env: { ...process.env, ...this.env },
    });
    closeSync(fd);
  }

  /** The members' process IDs (those running). */
  pids(): number[] {
    return startedPids(this.members.map((m) => m.proc));
  }

  signal(id: string, sig: NodeJS.Signals): void {
    this.member(id).proc?.kill(sig);
  }

  async kill(id: string): Promise<void> {
    const p = this.member(id).proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL');
    await exited;
  }

  private session(id: string): ClientHttp2Session {
    let s = this.sessions.get(id);
    if (s && !s.closed && !s.destroyed) return s;
    s = connect(`http://127.0.0.1:${this.member(id).httpPort}`);
    const opened = s;
    opened.on('error', () => undefined);
    opened.on('close', () => this.sessions.get(id) === opened && this.sessions.delete(id));
    this.sessions.set(id, opened);
    return opened;
  }

  /** One request to a member's HTTP/2 interface (a fresh session after a member restarts). */
  call(id: string, path: string): Promise<{ status: number; body: Record<string, unknown> }> {
    return new Promise((resolve, reject) => {
      const session = this.session(id);
      // No body: the stream ends with its headers. A separate end() (an empty DATA frame after them) costs the
      // member an ERR_STREAM_DESTROYED object per request, about 5 µs of its CPU (Node's http2 server).
      const req = session.request({ ':method': path.startsWith('/write') ? 'POST' : 'GET', ':path': path }, { endStream: true });
      let status = 0;
      const chunks: Buffer[] = [];
      req.setTimeout(8000, () => {
        req.close();
        session.destroy();
        reject(new Error(`${path} on ${id}: no answer within 8 s`));
      });
      req.on('response', (h) => (status = Number(h[':status'])));
      req.on('data', (b: Buffer) => chunks.push(b));
      req.on('end', () => {
        try {
          resolve({ status, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown> });
        } catch (err) {
          reject(err instanceof Error ? err : new Error(String(err)));
        }
      });
      req.on('error', reject);
    });
  }

  async status(id: string): Promise<MemberStatus | undefined> {
    try {
      const r = await this.call(id, '/status');
      return r.body as unknown as MemberStatus;
    } catch {
      return undefined;
    }
  }

  /** Waits until one of `among` leads (and takes writes); returns its ID. */
  async waitLeader(among: string[], timeoutMs = 15_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      for (const id of among) if ((await this.status(id))?.isLeader) return id;
      await sleep(50);
    }
    throw new Error(`no leader among ${among.join(', ')} within ${timeoutMs} ms\n${this.logs()}`);
  }

  logs(): string {
    return this.members.map((m) => `--- ${m.id}\n${tail(join(this.root, `${m.id}.log`))}`).join('\n');
  }

  async destroy(): Promise<void> {
    for (const m of this.members) {
      if (m.proc) m.proc.kill('SIGCONT');
      await this.kill(m.id);
    }
    for (const s of this.sessions.values()) s.destroy();
    rmSync(this.root, { recursive: true, force: true });
  }
}

function tail(path: string): string {
  try {
    return readFileSync(path, 'utf8').split('\n').slice(-15).join('\n');
  } catch {
    return '';
  }
}
