import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { conflict, errorMessage, invalidArgument, notFound, ShoalError } from '../../util/errors.js';
import type { Logger } from '../../util/logger.js';
import type { ImageResolver } from '../images/image-store.js';
import type { LogLine, LogOptions, StartedTask, TaskExecutor, TaskExit, TaskHealth, TaskRunSpec } from '../types.js';
import { ExitWatch } from './exit-watch.js';
import { readLog } from './log-reader.js';
import { isRunning, signalProcess } from './proc.js';
import { parseSignal } from './signals.js';
import { installSupervisor, launchSupervisor } from './supervisor.js';
import { encodePlan } from './supervisor-plan.js';
import { TaskDir, type ExitRecord, type TaskRecord } from './task-dir.js';
import { hostVethName, netnsName, netnsPath, networkBatches, networkError, removeTaskNetwork } from './task-network.js';
import { prepareTaskView } from './task-view.js';
import { TaskHealthChecks } from './task-health.js';

export interface ProcessExecutorOptions {
  /** The daemon's data dir: each task's state and logs go to `<dataDir>/tasks/<taskId>/`. */
  dataDir: string;
  /**
   * Starts the name of every task network namespace (`<prefix>-<taskid12>` in /run/netns, which all
   * daemons on a machine share): unique per daemon, lowercase letters, digits and dashes.
   */
  namePrefix: string;
  images: ImageResolver;
  logger: Logger;
}

const TASK_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const NAME_PREFIX = /^[a-z0-9][a-z0-9-]{0,39}$/;
const SUPERVISOR_EXIT_WAIT_MS = 5000;

/**
 * Runs each task's command as a plain process: PID 1 of its own PID namespace, in its own network
 * (veths on the attachments' bridges), mount (image rootfs overlay or the host's filesystem) and UTS
 * namespaces, under a small perl supervisor that logs its output and records its exit code. Tasks
 * outlive the daemon; a new instance on the same data dir finds them with list() and adopt().
 */
export class ProcessExecutor implements TaskExecutor {
  readonly kind = 'process' as const;
  private readonly tasksDir: string;
  private readonly log: Logger;
  private readonly watches = new Map<string, ExitWatch>();
  private readonly checks = new TaskHealthChecks();
  private supervisorScript?: Promise<string>;

  constructor(private readonly opts: ProcessExecutorOptions) {
    if (!NAME_PREFIX.test(opts.namePrefix)) {
      throw invalidArgument(`process executor name prefix "${opts.namePrefix}" must match ${NAME_PREFIX}`);
    }
    this.tasksDir = join(opts.dataDir, 'tasks');
    this.log = opts.logger.child({ component: 'process-executor' });
  }

  async start(spec: TaskRunSpec): Promise<StartedTask> {
    const dir = this.dirOf(spec.taskId);
    const argv = [...spec.command, ...spec.args];
    if (argv.length === 0) throw invalidArgument(`starting container failed: no command specified for task ${spec.taskId}`);
    if (spec.networks.length > 36) throw invalidArgument(`task ${spec.taskId}: at most 36 networks can be attached`);
    const stopSignal = parseSignal(spec.stopSignal);
    const image = await this.opts.images.resolve(spec.image);
    await mkdir(this.tasksDir, { recursive: true });
    await mkdir(dir.path).catch((err: NodeJS.ErrnoException) => {
      throw err.code === 'EEXIST' ? conflict(`task ${spec.taskId} already exists in the process runtime: remove it first`) : err;
    });
    const note = image ? undefined : `image "${spec.image}" not found locally: running the command from the host's filesystem`;
    const record: TaskRecord = {
      taskId: spec.taskId,
      name: spec.name,
      netns: netnsName(this.opts.namePrefix, spec.taskId),
      hostVeths: spec.networks.map((_, i) => hostVethName(spec.taskId, i)),
      containerId: createHash('sha256').update(`${this.opts.namePrefix}/${spec.taskId}`).digest('hex'),
      stopSignal,
      ...(note ? { note } : {}),
      createdAt: new Date().toISOString(),
      ...(spec.healthCheck ? { healthCheck: spec.healthCheck } : {}),
    };
    try {
      // Recorded before anything is created, so whatever a crash leaves can be found and removed.
      await dir.writeRecord(record);
      const [view, script] = await Promise.all([prepareTaskView(spec, dir, image), this.script()]);
      const plan = encodePlan({
        arch: process.arch,
        ip: networkBatches(record.netns, spec.networks, record.hostVeths),
        netnsPath: netnsPath(record.netns),
        logFile: dir.log,
        pidFile: dir.pids,
        exitFile: dir.exit,
        hostname: view.hostname,
        view: view.ops,
        user: view.user,
        cwd: view.cwd,
        env: view.env,
        argv,
      });
      const launched = await launchSupervisor(script, spec.taskId, dir, plan);
      if (!launched.ok && launched.stage === 'network') throw networkError(launched.detail, record.netns, spec.networks);
      if (!launched.ok) {
        const fault = /^(exec: |chdir to cwd)/.test(launched.detail) ? 'invalid_argument' : 'internal';
        throw new ShoalError(fault, `starting container failed: ${launched.detail}`);
      }
      launched.onExit(() => this.watches.get(spec.taskId)?.check());
      this.checks.watch(spec.taskId, spec.healthCheck, launched.pid, Date.now());
      this.log.info({ taskId: spec.taskId, pid: launched.pid, netns: record.netns, image: image?.id ?? 'host' }, 'task started');
      return { pid: launched.pid, containerId: record.containerId, ...(note ? { note } : {}) };
    } catch (err) {
      await this.remove(spec.taskId).catch((e: unknown) => this.log.error({ taskId: spec.taskId, err: errorMessage(e) }, 'cleanup after a failed start failed'));
      throw err;
    }
  }

  async wait(taskId: string): Promise<TaskExit> {
    const exit = await (await this.watchOf(taskId)).exited;
    const message = exit.error ?? (exit.exitCode === 0 ? 'finished' : `task: non-zero exit (${exit.exitCode})`);
    return { exitCode: exit.exitCode, message };
  }

  async stop(taskId: string, graceMs: number): Promise<void> {
    const { dir, record } = await this.load(taskId);
    const watch = await this.watchOf(taskId);
    const pids = await dir.readPids();
    if (pids && !(await dir.readExit())) {
      await signalProcess(pids.pid, pids.pidStart, record.stopSignal);
      const grace = new AbortController();
      const outcome = await Promise.race([
        watch.exited.then(() => 'exited' as const),
        sleep(graceMs, 'grace' as const, { signal: grace.signal }).catch(() => 'exited' as const),
      ]);
      grace.abort();
      if (outcome === 'grace') {
        this.log.info({ taskId, graceMs }, `task did not exit on ${record.stopSignal}: killing it`);
        await signalProcess(pids.pid, pids.pidStart, 'SIGKILL');
      }
    }
    await watch.exited;
  }

  async kill(taskId: string, signal: string): Promise<void> {
    const dir = this.dirOf(taskId);
    const pids = await dir.readPids().catch(() => undefined);
    if (pids && !(await dir.readExit())) await signalProcess(pids.pid, pids.pidStart, parseSignal(signal));
  }

  async remove(taskId: string): Promise<void> {
    const dir = this.dirOf(taskId);
    if (!existsSync(dir.path)) return;
    const record = await dir.readRecord().catch(() => undefined);
    const pids = await dir.readPids().catch(() => undefined);
    if (pids) {
      // Killing PID 1 of the task's PID namespace ends every process in it; the supervisor then records the exit and ends.
      await signalProcess(pids.pid, pids.pidStart, 'SIGKILL');
      await until(async () => !(await isRunning(pids.supervisorPid, pids.supervisorStart)), SUPERVISOR_EXIT_WAIT_MS);
      await signalProcess(pids.supervisorPid, pids.supervisorStart, 'SIGKILL');
    }
    const watch = this.watches.get(taskId);
    if (watch) {
      watch.check();
      await watch.exited;
      this.watches.delete(taskId);
    }
    if (record) await removeTaskNetwork(record.netns, record.hostVeths);
    await rm(dir.path, { recursive: true, force: true });
    this.log.info({ taskId }, 'task removed');
  }

  async list(): Promise<{ taskId: string; running: boolean; pid?: number }[]> {
    const names = await readdir(this.tasksDir).catch(() => [] as string[]);
    const out: { taskId: string; running: boolean; pid?: number }[] = [];
    // Also dirs without a record (a crash right after mkdir): listed as not running, so they get removed.
    for (const taskId of names.filter((n) => TASK_ID.test(n)).sort()) {
      const dir = this.dirOf(taskId);
      const pids = await dir.readPids().catch(() => undefined);
      const running = !!pids && !(await dir.readExit().catch(() => undefined)) && (await isRunning(pids.pid, pids.pidStart));
      out.push(pids ? { taskId, running, pid: pids.pid } : { taskId, running });
    }
    return out;
  }

  async adopt(taskId: string): Promise<StartedTask | undefined> {
    const dir = this.dirOf(taskId);
    const record = await dir.readRecord().catch(() => undefined);
    if (!record) return undefined;
    const pids = await dir.readPids();
    await this.watchOf(taskId);
    if (pids) this.checks.watch(taskId, record.healthCheck, pids.pid, Date.parse(record.createdAt));
    return { pid: pids?.pid ?? 0, containerId: record.containerId, ...(record.note ? { note: record.note } : {}) };
  }

  /** A checked task's health (`starting` until a check passes), undefined without a check. */
  async health(taskId: string): Promise<TaskHealth | undefined> {
    return this.checks.health(taskId);
  }

  onHealthChange(listener: (taskId: string, health: TaskHealth) => void): () => void {
    return this.checks.subscribe(listener);
  }

  async *logs(taskId: string, opts: LogOptions): AsyncIterable<LogLine> {
    const { dir } = await this.load(taskId);
    yield* readLog(dir.log, opts, () => existsSync(dir.exit) || !existsSync(dir.record));
  }

  /** For daemon shutdown: stops watching tasks (pending wait() calls stay pending); the tasks keep running. */
  close(): void {
    this.checks.close();
    for (const watch of this.watches.values()) watch.close();
    this.watches.clear();
  }

  private dirOf(taskId: string): TaskDir {
    if (!TASK_ID.test(taskId)) throw invalidArgument(`invalid task ID "${taskId}"`);
    return new TaskDir(join(this.tasksDir, taskId));
  }

  private async load(taskId: string): Promise<{ dir: TaskDir; record: TaskRecord }> {
    const dir = this.dirOf(taskId);
    const record = await dir.readRecord();
    if (!record) throw notFound(`task ${taskId} not found in the process runtime (no ${dir.record})`);
    return { dir, record };
  }

  /** The task's exit watch, created on first need; a supervisor that vanished has its command killed. */
  private async watchOf(taskId: string): Promise<ExitWatch> {
    const known = this.watches.get(taskId);
    if (known) return known;
    const { dir } = await this.load(taskId);
    const pids = await dir.readPids();
    const raced = this.watches.get(taskId);
    if (raced) return raced;
    const watch = new ExitWatch(dir, pids);
    this.watches.set(taskId, watch);
    void watch.exited.then((exit: ExitRecord) => {
      this.checks.unwatch(taskId);
      if (exit.lost && pids) void signalProcess(pids.pid, pids.pidStart, 'SIGKILL');
    });
    return watch;
  }

  private script(): Promise<string> {
    this.supervisorScript ??= installSupervisor(join(this.opts.dataDir, 'process')).catch((err: unknown) => {
      this.supervisorScript = undefined;
      throw err;
    });
    return this.supervisorScript;
  }
}

async function until(done: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done()) && Date.now() < deadline) await sleep(20);
}
