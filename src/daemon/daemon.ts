import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import type { Logger } from '../util/logger.js';
import { systemClock } from '../util/clock.js';
import { ShoalError, notFound } from '../util/errors.js';
import type { DaemonOptions } from '../cli/shoald/options.js';
import { startApiServer, type ApiServer } from '../api/server.js';
import { startUiServer, type UiServer } from '../ui/server.js';
import type { ApiBackend, HostInfo } from '../api/backend.js';
import { ImageStore } from '../runtime/images/index.js';
import type { LogLine, LogOptions } from '../runtime/types.js';
import { SHOAL_VERSION } from '../version.js';
import { SwarmControl } from './swarm-backend.js';
import { readHostFacts } from './host-facts.js';
import { chooseTaskRuntime, type TaskRuntime } from './task-runtime.js';
import { MetricsServer } from '../metrics/server.js';
import { processMetrics } from '../metrics/process.js';
import { family } from '../metrics/exposition.js';
import { SwarmMetrics } from './swarm-metrics.js';

/**
 * shoald: the Engine API, the image store, the task executor, and (once in a swarm) this host's
 * part of it. Stopping it stops its tasks and removes what it made; the swarm state stays on disk.
 */
export class Daemon {
  private api?: ApiServer;
  private ui?: UiServer;
  private swarm?: SwarmControl;
  private executor?: TaskRuntime;
  private images?: ImageStore;
  private metrics?: MetricsServer;
  private unwatchMetrics?: () => void;

  constructor(
    private readonly opts: DaemonOptions,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    const { opts, log } = this;
    mkdirSync(opts.dataDir, { recursive: true, mode: 0o711 });
    this.images = new ImageStore({ dataDir: opts.dataDir, logger: log });
    this.executor = await chooseTaskRuntime(opts, this.images, log);
    log.info({ runtime: this.executor.kind, ...(this.executor.kind === 'docker' ? { dockerHost: opts.dockerHost } : {}), dataplane: opts.dataplane, dataDir: opts.dataDir }, 'task runtime chosen (the data plane is chosen when this host joins a swarm)');
    this.swarm = new SwarmControl({
      dataDir: opts.dataDir,
      advertiseAddr: opts.advertiseAddr,
      listenAddr: opts.listenAddr,
      executor: this.executor,
      dataplane: opts.dataplane,
      log,
      clock: systemClock,
    });
    if (opts.metricsAddr) await this.startMetrics(opts.metricsAddr);
    await this.swarm.resume();
    this.api = await startApiServer({
      socketPath: opts.apiSocket,
      tcp: opts.apiTcp ? tcpListen(opts) : undefined,
      insecureTcp: opts.insecureTcp,
      backend: this.backend(),
      logger: log,
    });
    if (opts.uiAddr) this.ui = await startUiServer({ addr: opts.uiAddr, api: this.api.handler, logger: log });
  }

  /** Where the live cluster view listens (`--ui-addr`), once started. */
  get uiAddress(): { host: string; port: number } | undefined {
    return this.ui?.address;
  }

  /** `--metrics-addr`: Prometheus metrics of the process, this host's mesh, DNS and endpoint table, and on managers Raft and the scheduler. */
  private async startMetrics(addr: string): Promise<void> {
    const swarm = this.swarm!;
    const sm = new SwarmMetrics(() => swarm.current);
    this.unwatchMetrics = swarm.onStoreEvents((events) => sm.onStoreEvents(events));
    const info = () => {
      const s = swarm.state();
      const labels = { version: SHOAL_VERSION, node: s.nodeId, role: s.localNodeState !== 'active' ? 'none' : s.controlAvailable ? 'manager' : 'worker', dataplane: swarm.current?.dataPlaneKind ?? '', runtime: this.executor!.kind };
      return [family('shoal_info', 'gauge', "This daemon: version, node ID, role, data plane and runtime (value 1).", [{ labels, value: 1 }])];
    };
    this.metrics = new MetricsServer([processMetrics, info, ...sm.collectors], this.log.child({ component: 'metrics' }));
    const at = await this.metrics.listen(addr);
    this.log.info({ metricsAddr: at }, 'serving Prometheus metrics at /metrics');
  }

  async stop(): Promise<void> {
    await this.ui?.close();
    this.unwatchMetrics?.();
    await this.metrics?.close();
    await this.api?.close();
    await this.swarm?.shutdown();
    await this.executor?.close();
    this.log.info('shoald stopped');
  }

  private backend(): ApiBackend {
    const swarm = this.swarm!;
    const executor = this.executor!;
    const images = this.images!;
    const facts = readHostFacts();
    const host: HostInfo = {
      id: createHash('sha256').update(this.opts.dataDir + facts.hostname).digest('hex').slice(0, 36).toUpperCase().match(/.{4}/g)!.join(':'),
      hostname: facts.hostname,
      ncpu: facts.ncpu,
      memoryBytes: facts.memoryBytes,
      kernelVersion: facts.kernelVersion,
      operatingSystem: 'Shoal on Linux',
      architecture: facts.architecture,
      dataRoot: this.opts.dataDir,
      runtime: executor.kind,
      dataPlane: this.opts.dataplane,
      version: SHOAL_VERSION,
    };
    return {
      swarm,
      store: () => (swarm.state().controlAvailable ? swarm.current?.store : undefined),
      onStoreEvents: (listener) => swarm.onStoreEvents(listener),
      images,
      containers: {
        list: () => swarm.current?.localTasks?.localTasks() ?? [],
        interrupt: async (taskId, how) => {
          const agent = swarm.current?.localTasks;
          if (!agent) throw notFound(`No such container: ${taskId}`);
          await agent.interrupt(taskId, how);
        },
      },
      taskLogs: (taskId: string, o: LogOptions): AsyncIterable<LogLine> => swarm.current?.taskLogs(taskId, o) ?? executor.logs(taskId, o),
      serviceWhy: (service) => {
        if (!swarm.current) throw notFound(`service ${service.ID} is in no swarm`);
        return swarm.current.serviceWhy(service);
      },
      host: () => ({ ...host, dataPlane: swarm.current?.dataPlaneKind ?? host.dataPlane }),
      trace: (req) => swarm.current!.trace(req),
    };
  }
}

function tcpListen(opts: DaemonOptions): { host: string; port: number; tls?: { ca: string; cert: string; key: string } } {
  const m = /^(?:tcp:\/\/)?(.*):(\d+)$/.exec(opts.apiTcp!);
  if (!m) throw new ShoalError('invalid_argument', `--api-tcp "${opts.apiTcp}" must be HOST:PORT, e.g. 0.0.0.0:2376`);
  const tls = opts.tlsCa && opts.tlsCert && opts.tlsKey ? { ca: opts.tlsCa, cert: opts.tlsCert, key: opts.tlsKey } : undefined;
  return { host: m[1] || '0.0.0.0', port: Number(m[2]), tls };
}
