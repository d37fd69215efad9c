import { chmodSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import type { EndpointTable } from '../../../src/cluster/endpoints/types.js';
import type { DataPlaneKind, EntryStats, NftVia } from '../../../src/mesh/dataplane/index.js';
import type { Lab, LabProcess } from '../index.js';

type Command = { op: 'apply'; table: EndpointTable } | { op: 'stats' } | { op: 'close' };
export type MeshHostRequest = Command & { id: number };
/** When the data plane process got a request's first bytes, had parsed it, and had applied it (wall-clock ms, fractional). */
export type MeshHostTimes = { received: number; parsed: number; live?: number };
export type MeshHostReply =
  | { id: number; ok: true; kind: DataPlaneKind; version: number | undefined; ms: number; at?: MeshHostTimes; stats?: EntryStats[] }
  | { id: number; ok: false; error: string };

const script = new URL('./mesh-host.js', import.meta.url).pathname;

/** A lab host's data plane, running in a process inside the host (see mesh-host.ts), driven from the test. */
export class MeshHost {
  private nextId = 1;
  private buf = '';
  private readonly waiting = new Map<number, (r: MeshHostReply) => void>();

  private constructor(
    readonly host: string,
    readonly kind: DataPlaneKind,
    readonly process: LabProcess,
    private readonly sock: Socket,
  ) {
    sock.on('data', (d) => {
      this.buf += d.toString();
      let i;
      while ((i = this.buf.indexOf('\n')) >= 0) {
        const reply = JSON.parse(this.buf.slice(0, i)) as MeshHostReply;
        this.buf = this.buf.slice(i + 1);
        this.waiting.get(reply.id)?.(reply);
        this.waiting.delete(reply.id);
      }
    });
    // A data plane that dies (a crash) fails what waits on it instead of leaving it waiting for ever.
    sock.once('close', () => {
      const error = `the data plane process closed its socket (it exited?): ${process.output().slice(-800)}`;
      for (const [id, done] of this.waiting) done({ id, ok: false, error });
      this.waiting.clear();
    });
  }

  /** Starts the data plane in `host`; `unprivileged` runs it as nobody, without CAP_NET_ADMIN. */
  static async start(lab: Lab, host: string, kind: 'auto' | DataPlaneKind, opts: { nodeId?: string; nftVia?: NftVia; unprivileged?: boolean } = {}): Promise<MeshHost> {
    const dir = lab.hostDir(host);
    const socketPath = join(dir, 'mesh.sock');
    const args = [script, socketPath, kind, opts.nodeId ?? host, ...(opts.nftVia ? [opts.nftVia] : [])];
    if (opts.unprivileged) chmodSync(dir, 0o777);
    const argv = opts.unprivileged ? ['setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '--', process.execPath, ...args]] as const : [process.execPath, args] as const;
    const proc = await lab.start(host, argv[0], argv[1], { name: 'mesh' });
    const m = await proc.waitForOutput(/ready (nftables|userspace)/, 15_000);
    const sock = connect(socketPath);
    await new Promise<void>((resolve, reject) => sock.once('connect', resolve).once('error', reject));
    return new MeshHost(host, m[1] as DataPlaneKind, proc, sock);
  }

  private call(req: Command): Promise<{ ms: number; at?: MeshHostTimes; stats?: EntryStats[] }> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, (r) => (r.ok ? resolve(r) : reject(new Error(`${this.host}: ${r.error}`))));
      this.sock.write(`${JSON.stringify({ ...req, id })}\n`);
    });
  }

  /** Applies a table; resolves with the time the data plane took, and when it received, parsed and applied it. */
  apply(table: EndpointTable): Promise<{ ms: number; at?: MeshHostTimes }> {
    return this.call({ op: 'apply', table });
  }

  /** The data plane's counters of every entry point. */
  async stats(): Promise<EntryStats[]> {
    return (await this.call({ op: 'stats' })).stats ?? [];
  }

  /** Closes the data plane (removes what it made) and stops the process. */
  async close(): Promise<void> {
    await this.call({ op: 'close' });
    this.sock.destroy();
    await this.process.stop();
  }
}
