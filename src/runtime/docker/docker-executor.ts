import { setTimeout as sleep } from 'node:timers/promises';
import type Docker from 'dockerode';
import { errorMessage, invalidArgument, isShoalError, notFound } from '../../util/errors.js';
import type { Logger } from '../../util/logger.js';
import { hostVethName, netnsName, removeTaskNetwork } from '../process/task-network.js';
import { parseSignal } from '../process/signals.js';
import type { LogLine, LogOptions, StartedTask, TaskExecutor, TaskExit, TaskHealth, TaskRunSpec } from '../types.js';
import { filesVolumeName, sandboxConfig, taskConfig } from './container-config.js';
import { engineError, engineStatus } from './engine.js';
import { HealthEvents } from './health-events.js';
import { ensureImage } from './image-pull.js';
import { LABEL_NETWORKS, LABEL_ROLE, LABEL_TASK, ownFilter, ownLabels } from './labels.js';
import { logLines } from './log-frames.js';
import { ensurePauseImage } from './pause-image.js';
import { plugSandbox } from './sandbox-network.js';
import { createFilesVolume, writeTaskFiles } from './task-files.js';

export interface DockerExecutorOptions {
  /** The engine (see connectEngine): it must run on this host. */
  docker: Docker;
  /**
   * Unique per daemon: the value of the executor label on everything this executor makes, and the
   * start of each task's network namespace name in /run/netns (as for the process executor).
   */
  namePrefix: string;
  logger: Logger;
}

const NAME_PREFIX = /^[a-z0-9][a-z0-9-]{0,39}$/;
const WAIT_RETRY_MS = 1000;
const MAX_NETWORKS = 36;

/**
 * Runs each task as a Docker container on the Shoal overlay. A task is two containers: a sandbox
 * (a pause process, networking off) that Shoal plugs into the task's networks, and the task's own
 * container, which joins the sandbox's network namespace only once it is plugged — so the task's
 * command starts with its addresses, routes and DNS in place. Its secrets and configs come from a
 * tmpfs volume. Everything carries labels naming the task and this executor, so containers outlive
 * the daemon and a new instance finds them with list() and adopt().
 */
export class DockerExecutor implements TaskExecutor {
  readonly kind = 'docker' as const;
  private readonly docker: Docker;
  private readonly prefix: string;
  private readonly log: Logger;
  /** Task ID → its container's ID, for tasks started or adopted here. */
  private readonly containers = new Map<string, string>();
  private readonly healthEvents: HealthEvents;
  private readonly closing = new AbortController();
  private pauseImage?: Promise<string>;

  constructor(opts: DockerExecutorOptions) {
    if (!NAME_PREFIX.test(opts.namePrefix)) throw invalidArgument(`docker executor name prefix "${opts.namePrefix}" must match ${NAME_PREFIX}`);
    this.docker = opts.docker;
    this.prefix = opts.namePrefix;
    this.log = opts.logger.child({ component: 'docker-executor' });
    this.healthEvents = new HealthEvents(this.docker, this.prefix, this.log);
  }

  prepare(spec: TaskRunSpec): Promise<void> {
    return ensureImage(this.docker, spec.image, this.log, spec.registryAuth);
  }

  async start(spec: TaskRunSpec): Promise<StartedTask> {
    if (spec.networks.length > MAX_NETWORKS) throw invalidArgument(`task ${spec.taskId}: at most ${MAX_NETWORKS} networks can be attached`);
    const stopSignal = parseSignal(spec.stopSignal);
    const [pauseImage] = await Promise.all([this.ensurePauseImage(), ensureImage(this.docker, spec.image, this.log, spec.registryAuth)]);
    try {
      const task = await this.createContainers(spec, pauseImage, stopSignal);
      await task.start();
      const { Id: containerId, State } = await task.inspect();
      this.containers.set(spec.taskId, containerId);
      this.log.info({ taskId: spec.taskId, container: containerId.slice(0, 12), pid: State.Pid, image: spec.image }, 'task started');
      return { pid: State.Pid, containerId };
    } catch (err) {
      await this.remove(spec.taskId).catch((e: unknown) => this.log.error({ taskId: spec.taskId, err: errorMessage(e) }, 'cleanup after a failed start failed'));
      throw isShoalError(err) ? err : engineError('starting container failed', err);
    }
  }

  /** The task's files volume and sandbox, the sandbox started and plugged into the networks, and the task's container created in it. */
  private async createContainers(spec: TaskRunSpec, pauseImage: string, stopSignal: string): Promise<Docker.Container> {
    const volume = spec.files.length > 0 ? filesVolumeName(spec) : undefined;
    const filesDir = volume && (await createFilesVolume(this.docker, volume, ownLabels(this.prefix, spec.taskId, 'files')));
    const sandbox = await this.docker.createContainer(sandboxConfig(spec, this.prefix, pauseImage, volume));
    const netns = netnsName(this.prefix, spec.taskId);
    const veths = spec.networks.map((_, i) => hostVethName(spec.taskId, i));
    const ready = (async () => {
      await sandbox.start();
      const { State } = await sandbox.inspect();
      await Promise.all([plugSandbox(netns, spec.networks, veths, State.Pid), volume && writeTaskFiles(sandbox, spec.files)]);
    })();
    // The task's container can be made while the sandbox starts, unless it binds files not written yet.
    const created = (async () => {
      if (volume) await ready;
      return this.docker.createContainer(taskConfig(spec, this.prefix, sandbox.id, stopSignal, filesDir));
    })();
    // Both settle before a failure is thrown, so the caller's cleanup sees every container made.
    const [sandboxReady, task] = await Promise.allSettled([ready, created]);
    if (sandboxReady.status === 'rejected') throw sandboxReady.reason;
    if (task.status === 'rejected') throw task.reason;
    return task.value;
  }

  async wait(taskId: string): Promise<TaskExit> {
    const container = this.docker.getContainer(await this.containerId(taskId));
    for (;;) {
      try {
        const res = (await container.wait({ condition: 'not-running', abortSignal: this.closing.signal })) as { StatusCode: number; Error?: { Message?: string } | null };
        const message = res.Error?.Message || (res.StatusCode === 0 ? 'finished' : `task: non-zero exit (${res.StatusCode})`);
        return { exitCode: res.StatusCode, message };
      } catch (err) {
        if (this.closing.signal.aborted) return new Promise<never>(() => {}); // daemon shutdown: stays pending, as documented for close()
        if (engineStatus(err) === 404) return { exitCode: -1, message: `task: its container was removed outside Shoal` };
        // The engine went away (restart, socket lost): the container may still run; ask again.
        this.log.warn({ taskId, err: errorMessage(err) }, 'waiting on the Docker engine failed: retrying');
        await sleep(WAIT_RETRY_MS);
      }
    }
  }

  async stop(taskId: string, graceMs: number): Promise<void> {
    const container = this.docker.getContainer(await this.containerId(taskId));
    const info = await container.inspect().catch((err: unknown) => {
      throw engineError(`stopping task ${taskId}`, err);
    });
    if (!info.State.Running) return;
    const exited = this.wait(taskId);
    const signal = (info.Config as { StopSignal?: string }).StopSignal || 'SIGTERM';
    await this.signalContainer(container, signal);
    const grace = new AbortController();
    const outcome = await Promise.race([
      exited.then(() => 'exited' as const),
      sleep(graceMs, 'grace' as const, { signal: grace.signal }).catch(() => 'exited' as const),
    ]);
    grace.abort();
    if (outcome === 'grace') {
      this.log.info({ taskId, graceMs }, `task did not exit on ${signal}: killing it`);
      await this.signalContainer(container, 'SIGKILL');
    }
    await exited;
  }

  async kill(taskId: string, signal: string): Promise<void> {
    await this.signalContainer(this.docker.getContainer(await this.containerId(taskId)), signal);
  }

  async remove(taskId: string): Promise<void> {
    const filters = ownFilter(this.prefix, taskId);
    const [containers, volumes] = await Promise.all([this.docker.listContainers({ all: true, filters }), this.docker.listVolumes({ filters })]);
    const sandbox = containers.find((c) => c.Labels[LABEL_ROLE] === 'sandbox');
    const networks = Number(sandbox?.Labels[LABEL_NETWORKS] ?? 0);
    // The task's container first: it lives in the sandbox's namespaces.
    for (const role of ['task', 'sandbox']) {
      for (const c of containers.filter((x) => x.Labels[LABEL_ROLE] === role)) {
        await this.docker.getContainer(c.Id).remove({ force: true, v: true }).catch(ignoreMissing);
      }
    }
    // Without its sandbox, the namespace ends with its last process and takes the veths with it.
    await removeTaskNetwork(netnsName(this.prefix, taskId), Array.from({ length: networks }, (_, i) => hostVethName(taskId, i)));
    for (const v of volumes.Volumes ?? []) await this.docker.getVolume(v.Name).remove().catch(ignoreMissing);
    this.containers.delete(taskId);
    if (containers.length > 0) this.log.info({ taskId }, 'task removed');
  }

  async list(): Promise<{ taskId: string; running: boolean }[]> {
    const filters = ownFilter(this.prefix);
    const [containers, volumes] = await Promise.all([this.docker.listContainers({ all: true, filters }), this.docker.listVolumes({ filters })]);
    const running = new Map<string, boolean>();
    const note = (taskId: string | undefined, isRunning: boolean) => {
      if (taskId) running.set(taskId, (running.get(taskId) ?? false) || isRunning);
    };
    for (const c of containers) note(c.Labels[LABEL_TASK], c.Labels[LABEL_ROLE] === 'task' && c.State === 'running');
    // A sandbox or a volume without a task container (a crash mid-start) is listed as not running, so it gets removed.
    for (const v of volumes.Volumes ?? []) note(v.Labels?.[LABEL_TASK], false);
    return [...running].sort(([a], [b]) => a.localeCompare(b)).map(([taskId, r]) => ({ taskId, running: r }));
  }

  async adopt(taskId: string): Promise<StartedTask | undefined> {
    const [found] = await this.docker.listContainers({ all: true, filters: ownFilter(this.prefix, taskId, 'task') });
    if (!found) return undefined;
    const info = await this.docker.getContainer(found.Id).inspect();
    this.containers.set(taskId, found.Id);
    return { pid: info.State.Pid, containerId: found.Id };
  }

  /** The engine's log of the task's container. As in Docker, `tail` counts lines of both streams, before the selection. */
  async *logs(taskId: string, opts: LogOptions): AsyncIterable<LogLine> {
    if (!opts.stdout && !opts.stderr) return;
    const container = this.docker.getContainer(await this.containerId(taskId));
    const query = {
      follow: opts.follow,
      stdout: opts.stdout,
      stderr: opts.stderr,
      timestamps: true,
      tail: opts.tail ?? 'all',
      ...(opts.since !== undefined ? { since: opts.since } : {}),
      ...(opts.until !== undefined ? { until: opts.until } : {}),
      ...(opts.signal ? { abortSignal: opts.signal } : {}),
    };
    let res: Buffer | NodeJS.ReadableStream;
    try {
      // dockerode's typings have one overload per `follow` value; the engine answers a buffer or a stream.
      res = (await container.logs(query as Docker.ContainerLogsOptions & { follow: true })) as Buffer | NodeJS.ReadableStream;
    } catch (err) {
      if (opts.signal?.aborted) return;
      throw engineError(`logs of task ${taskId}`, err);
    }
    try {
      yield* logLines(Buffer.isBuffer(res) ? [res] : (res as AsyncIterable<Buffer>));
    } catch (err) {
      if (!opts.signal?.aborted) throw engineError(`logs of task ${taskId}`, err);
    }
  }

  async health(taskId: string): Promise<TaskHealth | undefined> {
    const info = await this.docker.getContainer(await this.containerId(taskId)).inspect();
    const status = info.State.Health?.Status;
    return status === 'starting' || status === 'healthy' || status === 'unhealthy' ? status : undefined;
  }

  onHealthChange(listener: (taskId: string, health: TaskHealth) => void): () => void {
    return this.healthEvents.subscribe(listener);
  }

  /** For daemon shutdown: stops following the engine (pending wait() calls stay pending); the containers keep running. */
  close(): void {
    this.closing.abort();
    this.healthEvents.close();
  }

  private ensurePauseImage(): Promise<string> {
    this.pauseImage ??= ensurePauseImage(this.docker).catch((err: unknown) => {
      this.pauseImage = undefined;
      throw err;
    });
    return this.pauseImage;
  }

  /** The ID of the task's container: known since start or adopt, else looked up by label. */
  private async containerId(taskId: string): Promise<string> {
    const known = this.containers.get(taskId);
    if (known) return known;
    const [found] = await this.docker.listContainers({ all: true, filters: ownFilter(this.prefix, taskId, 'task') });
    if (!found) throw notFound(`task ${taskId} not found in the docker runtime (no container labelled ${LABEL_TASK}=${taskId})`);
    this.containers.set(taskId, found.Id);
    return found.Id;
  }

  /** Signals the container; one that is not running (any more) is fine. */
  private async signalContainer(container: Docker.Container, signal: string): Promise<void> {
    await container.kill({ signal }).catch((err: unknown) => {
      if (engineStatus(err) !== 409 && engineStatus(err) !== 404) throw engineError(`signalling container ${container.id.slice(0, 12)}`, err);
    });
  }
}

function ignoreMissing(err: unknown): void {
  if (engineStatus(err) !== 404) throw engineError('removing a task', err);
}
