import { localServiceView, serviceWhy, type ServiceWhy } from '../../src/daemon/service-why.js';
import type { ServiceObject } from '../../src/cluster/types.js';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { ApiBackend, HostInfo, ImageSummary, SwarmState } from '../../src/api/backend.js';
import type { TraceRequest } from '../../src/cluster/trace/plan-trace.js';
import { traceConnection, type TraceReport } from '../../src/cluster/trace/trace-report.js';
import { startApiServer, type ApiServer } from '../../src/api/server.js';
import type { LocalStore } from '../../src/cluster/store/index.js';
import type { LogLine, LogOptions } from '../../src/runtime/types.js';
import type { LocalTask } from '../../src/agent/agent.js';
import { silentLogger } from '../../src/util/logger.js';
import { NODE_ID, openStore } from '../unit/controlapi/fixture.js';

export { NODE_ID };


/** A backend over a real store, with in-memory images and scripted task logs. */
export class TestBackend implements ApiBackend {
  state: SwarmState = { localNodeState: 'active', nodeId: NODE_ID, nodeAddr: '10.250.0.2', controlAvailable: true, error: '' };
  readonly logs = new Map<string, LogLine[]>();
  private readonly images_ = new Map<string, ImageSummary>();

  constructor(readonly localStore: LocalStore) {}

  readonly swarm = {
    state: () => this.state,
    init: async () => NODE_ID,
    join: async () => undefined,
    unlock: async () => undefined,
    leave: async () => {
      this.state = { localNodeState: 'inactive', nodeId: '', nodeAddr: '', controlAvailable: false, error: '' };
    },
  };

  /** What `docker ps` lists on this host; `interrupted` records every kill and stop. */
  readonly localTasks: LocalTask[] = [];
  readonly interrupted: { taskId: string; how: { signal: string } | { graceMs?: number } }[] = [];
  readonly containers = {
    list: (): LocalTask[] => this.localTasks,
    interrupt: async (taskId: string, how: { signal: string } | { graceMs?: number }): Promise<void> => {
      this.interrupted.push({ taskId, how });
    },
  };

  store(): LocalStore | undefined {
    return this.state.controlAvailable ? this.localStore : undefined;
  }

  onStoreEvents(listener: Parameters<ApiBackend['onStoreEvents']>[0]): () => void {
    return this.localStore.watch(listener);
  }

  readonly images = {
    importImage: async (source: Readable, tag?: string): Promise<ImageSummary> => {
      const hash = createHash('sha256');
      let size = 0;
      for await (const chunk of source as AsyncIterable<Buffer>) {
        hash.update(chunk);
        size += chunk.length;
      }
      const image = { Id: `sha256:${hash.digest('hex')}`, RepoTags: tag ? [tag.includes(':') ? tag : `${tag}:latest`] : [], Created: 1700000000, Size: size };
      this.images_.set(image.Id, image);
      return image;
    },
    list: async (): Promise<ImageSummary[]> => [...this.images_.values()],
    resolve: async (ref: string) => {
      const full = ref.includes(':') ? ref : `${ref}:latest`;
      const image = [...this.images_.values()].find((i) => i.RepoTags.includes(full) || i.Id === ref);
      return image ? { id: image.Id } : undefined;
    },
  };

  /** A single host without a data plane: the managers' view only, its host with nothing applied. */
  async serviceWhy(service: ServiceObject): Promise<ServiceWhy> {
    return serviceWhy(this.store()!, service, undefined, async (node, req) => localServiceView(node.ID, 0, undefined, undefined, req));
  }

  async *taskLogs(taskId: string, opts: LogOptions): AsyncIterable<LogLine> {
    const lines = (this.logs.get(taskId) ?? []).filter((l) => (opts.stdout || l.stream !== 'stdout') && (opts.stderr || l.stream !== 'stderr'));
    yield* opts.tail === undefined ? lines : lines.slice(Math.max(0, lines.length - opts.tail));
    if (opts.follow) {
      await new Promise<void>((done) => opts.signal?.addEventListener('abort', () => done()));
    }
  }

  /** No data plane here: every host answers that it does not serve the entry. */
  trace(req: TraceRequest): Promise<TraceReport> {
    return traceConnection(this.localStore, req, async () => undefined);
  }

  host(): HostInfo {
    return {
      id: 'SHOL:TEST:0000',
      hostname: 'vm',
      ncpu: 2,
      memoryBytes: 25276510208,
      kernelVersion: '6.1.0',
      operatingSystem: 'Shoal test host',
      architecture: 'x86_64',
      dataRoot: '/var/lib/shoal',
      runtime: 'process',
      dataPlane: 'userspace',
      version: '0.1.0',
    };
  }
}

export interface Harness {
  dir: string;
  socket: string;
  store: LocalStore;
  backend: TestBackend;
  server: ApiServer;
  close(): Promise<void>;
}

/** A server on a fresh unix socket over a fresh store, with a swarm bootstrapped in it. */
export async function startHarness(opts: { swarm?: boolean } = {}): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'shoal-api-'));
  const fixture = await openStore(opts);
  const store = fixture.store;
  const backend = new TestBackend(store);
  if (opts.swarm === false) await backend.swarm.leave();
  const socket = join(dir, 'run', 'shoal.sock');
  const server = await startApiServer({ socketPath: socket, backend, logger: silentLogger });
  return {
    dir,
    socket,
    store,
    backend,
    server,
    close: async () => {
      await server.close();
      await fixture.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  json(): any;
}

/** One raw HTTP request over the unix socket. */
export function call(socket: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
    const req = httpRequest(
      {
        socketPath: socket,
        method,
        path,
        headers: { Host: 'api.moby.localhost', ...(data ? { 'Content-Type': 'application/json', 'Content-Length': data.length } : {}), ...headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const buf = Buffer.concat(chunks);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: buf, json: () => JSON.parse(buf.toString()) });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the real docker CLI against the server, with a throwaway config directory. */
export function docker(socket: string, args: string[], input?: string, timeoutMs = 30000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const config = mkdtempSync(join(tmpdir(), 'shoal-docker-config-'));
    const child = spawn('docker', ['-H', `unix://${socket}`, ...args], {
      env: { ...process.env, DOCKER_CONFIG: config, DOCKER_CLI_HINTS: 'false', DOCKER_HOST: '', DOCKER_CONTEXT: '' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const timer = setTimeout(() => child.kill('SIGINT'), timeoutMs);
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      rmSync(config, { recursive: true, force: true });
      resolve({ code: code ?? -1, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() });
    });
    child.stdin.end(input ?? '');
  });
}
