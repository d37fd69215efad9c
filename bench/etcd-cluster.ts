import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { connect, type ClientHttp2Session } from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sleep } from '../src/util/clock.js';
import { exec } from '../src/util/exec.js';
import { startedPids } from '../test/lab/pids.js';
import { freePort } from '../test/lab/raft/member-cluster.js';

/** A protobuf length-delimited field. */
function bytesField(field: number, value: Buffer): Buffer {
  const len: number[] = [];
  for (let n = value.length; ; n >>>= 7) {
    if (n < 0x80) {
      len.push(n);
      break;
    }
    len.push((n & 0x7f) | 0x80);
  }
  return Buffer.concat([Buffer.from([(field << 3) | 2, ...len]), value]);
}

/** etcdserverpb.PutRequest { bytes key = 1; bytes value = 2; } */
const putRequest = (key: string, value: string): Buffer => Buffer.concat([bytesField(1, Buffer.from(key)), bytesField(2, Buffer.from(value))]);

interface Member {
  name: string;
  client: string;
  peer: string;
  proc?: ChildProcess;
}

/**
 * Debian's etcd (`apt-get install etcd-server etcd-client`) as a cluster of processes on
 * loopback, the Raft bench's baseline, with a client in this process that puts through the
 * leader. The client speaks gRPC on a bare HTTP/2 session (a length-prefixed protobuf, the status
 * in the trailers): @grpc/grpc-js's client costs about 0.75 ms of CPU per call on this machine,
 * which would cap etcd at about half its throughput with 64 in flight. `start` gives undefined
 * when etcd is not installed.
 */
export class EtcdCluster {
  private readonly root = mkdtempSync(join(tmpdir(), 'shoal-bench-etcd-'));
  private readonly members: Member[] = [];
  private session: ClientHttp2Session | undefined;

  static async start(size: number): Promise<EtcdCluster | undefined> {
    for (const [bin, arg] of [['etcd', '--version'], ['etcdctl', 'version']] as const) {
      if ((await exec(bin, [arg], { allowFail: true }).catch(() => undefined))?.code !== 0) return undefined;
    }
    const c = new EtcdCluster();
    try {
      for (let i = 1; i <= size; i++) c.members.push({ name: `e${i}`, client: `127.0.0.1:${await freePort()}`, peer: `127.0.0.1:${await freePort()}` });
      for (const m of c.members) c.spawn(m);
      c.session = connect(`http://${await c.waitLeader()}`);
      return c;
    } catch (err) {
      await c.stop();
      throw err;
    }
  }

  private spawn(m: Member): void {
    const cluster = this.members.map((p) => `${p.name}=http://${p.peer}`).join(',');
    const fd = openSync(join(this.root, `${m.name}.log`), 'a');
    m.proc = spawn(
      'etcd',
      [
        ...['--name', m.name, '--data-dir', join(this.root, m.name)],
        ...['--listen-client-urls', `http://${m.client}`, '--advertise-client-urls', `http://${m.client}`],
        ...['--listen-peer-urls', `http://${m.peer}`, '--initial-advertise-peer-urls', `http://${m.peer}`],
        ...['--initial-cluster', cluster, '--initial-cluster-state', 'new', '--initial-cluster-token', 'shoal-bench'],
        ...['--logger', 'zap', '--log-level', 'warn'],
      ],
      { stdio: ['ignore', fd, fd] },
    );
    closeSync(fd);
  }

  /** The client address of the member that leads, once there is one. */
  private async waitLeader(timeoutMs = 20_000): Promise<string> {
    const endpoints = this.members.map((m) => m.client).join(',');
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const r = await exec('etcdctl', ['--endpoints', endpoints, 'endpoint', 'status', '-w', 'json'], { allowFail: true, timeoutMs: 5000 });
      // IDs are 64-bit: compared as text, not as JSON numbers.
      for (const [, endpoint, member, leader] of r.stdout.matchAll(/"Endpoint":"([^"]+)".*?"member_id":(\d+).*?"leader":(\d+)/g)) {
        if (member === leader) return endpoint!;
      }
      await sleep(200);
    }
    throw new Error(`etcd elected no leader within ${timeoutMs} ms (logs in ${this.root})`);
  }

  /** etcdserverpb.KV/Put, resolved once etcd answered with gRPC status 0. */
  put(key: string, value: string): Promise<void> {
    const msg = putRequest(key, value);
    const frame = Buffer.alloc(5 + msg.length); // no compression flag, then the length
    frame.writeUInt32BE(msg.length, 1);
    msg.copy(frame, 5);
    return new Promise((resolve, reject) => {
      const req = this.session!.request({ ':method': 'POST', ':path': '/etcdserverpb.KV/Put', 'content-type': 'application/grpc', te: 'trailers' });
      let status: unknown;
      let message: unknown;
      const take = (h: Record<string, unknown>): void => {
        if (h['grpc-status'] === undefined) return;
        status = h['grpc-status'];
        message = h['grpc-message'];
      };
      req.on('response', take); // a trailers-only answer (an error) has its status here
      req.on('trailers', take);
      req.on('data', () => undefined);
      req.on('end', () => (status === '0' ? resolve() : reject(new Error(`etcd put ${key}: gRPC status ${String(status)} ${String(message ?? '')}`))));
      req.on('error', reject);
      req.end(frame);
    });
  }

  /** The members' process IDs. */
  pids(): number[] {
    return startedPids(this.members.map((m) => m.proc));
  }

  async stop(): Promise<void> {
    this.session?.close();
    await Promise.all(
      this.members.map(({ proc }) => {
        if (!proc || proc.exitCode !== null || proc.signalCode !== null) return undefined;
        const exited = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGKILL');
        return exited;
      }),
    );
    rmSync(this.root, { recursive: true, force: true });
  }
}
