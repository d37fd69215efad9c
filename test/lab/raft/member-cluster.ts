import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, closeSync, rmSync, readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sleep } from '../../../src/util/clock.js';

const MAIN = join(dirname(fileURLToPath(import.meta.url)), 'member-main.js');

/** A TCP port free on loopback right now. */
export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
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
  private readonly agent = new Agent({ keepAlive: true });
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

  /** One request to a member's HTTP interface, on a kept-alive connection (cheaper for the client than fetch, which matters in the bench). */
  call(id: string, path: string): Promise<{ status: number; body: Record<string, unknown> }> {
    return new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: this.member(id).httpPort, path, method: path.startsWith('/write') ? 'POST' : 'GET', agent: this.agent, timeout: 8000 }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (b: Buffer) => chunks.push(b));
        res.on('end', () => {
          try {
            resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown> });
          } catch (err) {
            reject(err instanceof Error ? err : new Error(String(err)));
          }
        });
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`${path} on ${id}: no answer within 8 s`)));
      req.on('error', reject);
      req.end();
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
    this.agent.destroy();
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
