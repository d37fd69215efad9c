import type { Logger } from '../util/logger.js';
import type { Clock } from '../util/clock.js';
import { conflict, errorMessage } from '../util/errors.js';
import { TASK_STATES, type TaskObject, type TaskState, type TaskStatus } from '../cluster/types.js';
import { taskLogFields } from '../cluster/log-fields.js';
import { UNHEALTHY_ERR, failedHealthCheck } from '../cluster/task-health.js';
import type { TaskExecutor, TaskExit, TaskHealth, TaskHealthCheck } from '../runtime/types.js';
import type { AgentControlPlane } from './control-plane.js';
import { attachTaskNetworks, buildRunSpec, stopGraceMs, type NetworkAttacher } from './run-spec.js';
import { READINESS_BOUND_MS, readinessTargets, waitAccepting } from './readiness.js';

/** Whether a health check is set and not disabled (`NONE`, as `--no-healthcheck` sends). */
const hasHealthCheck = (c: TaskHealthCheck | undefined): boolean => !!c?.Test?.length && c.Test[0] !== 'NONE';

const idx = (s: TaskState): number => TASK_STATES.indexOf(s);
const RUNNING = idx('running');

export interface AgentOptions {
  nodeId: string;
  controlPlane: AgentControlPlane;
  executor: TaskExecutor;
  networks: NetworkAttacher;
  log: Logger;
  clock: Clock;
}

/** A task this host started, as `docker ps` lists it: running, or ended and not yet deleted by the managers. */
export interface LocalTask {
  task: TaskObject;
  serviceName: string;
  containerId: string;
  /** RFC 3339. */
  startedAt: string;
  exit?: { exitCode: number; at: string };
}

interface Handled {
  task: TaskObject;
  stopping: boolean;
  /** Set once the process is started (or adopted), so a stop knows there is something to stop. */
  started: boolean;
  /** What `docker ps` shows of it, once started. */
  container?: { id: string; startedAt: string; exit?: LocalTask['exit'] };
  /** Health-checked task not yet healthy: reported `starting`, kept out of the mesh. */
  awaitingHealth?: TaskStatus['ContainerStatus'];
  /** Failed its health check: reported, kept running until the managers say stop; ends `failed`, not `shutdown`. */
  unhealthy?: boolean;
}

/**
 * The worker side on every host: walks the tasks assigned to this node through
 * accepted → preparing → starting → running, reports how they end, and stops those the
 * managers no longer want. Status reports are batched into one write per tick.
 */
export class Agent {
  private readonly handled = new Map<string, Handled>();
  private readonly outbox = new Map<string, TaskStatus>();
  private flushing?: Promise<void>;
  private unwatch?: () => void;
  private unwatchHealth?: () => void;
  private stopped = false;

  constructor(private readonly o: AgentOptions) {}

  /** Starts once the managers' first full set of assignments is in: survivors of a restart are sorted out first. */
  start(): void {
    this.unwatchHealth = this.o.executor.onHealthChange?.((taskId, health) => this.healthChanged(taskId, health));
    let first = true;
    let queue = Promise.resolve();
    this.unwatch = this.o.controlPlane.watchAssignments((tasks) => {
      queue = queue.then(async () => {
        if (first) {
          first = false;
          await this.adoptSurvivors(tasks);
        }
        this.reconcile(tasks);
      }).catch((err) => this.o.log.error({ err }, 'reconciling assignments failed'));
    });
  }

  /** Stops watching and stops every task this agent runs (a clean daemon shutdown or leaving the swarm). */
  async stop(removeTasks: boolean): Promise<void> {
    this.stopped = true;
    this.unwatch?.();
    this.unwatchHealth?.();
    const all = [...this.handled.values()];
    await Promise.all(all.map(async (h) => {
      h.stopping = true;
      if (removeTasks) await this.release(h.task.ID);
    }));
    await this.flushing;
  }

  /** The tasks this host started and still knows of (`docker ps -a`). */
  localTasks(): LocalTask[] {
    return [...this.handled.values()].flatMap((h) => {
      if (!h.container) return [];
      const serviceName = this.o.controlPlane.serviceName(h.task.ServiceID) ?? h.task.ServiceID;
      const { id, startedAt, exit } = h.container;
      return [{ task: h.task, serviceName, containerId: id, startedAt, ...(exit ? { exit } : {}) }];
    });
  }

  /**
   * `docker kill` or `docker stop` of a task's container by an operator: its process gets the signal
   * (stop: the stop signal, then SIGKILL after the grace period). The task then ends like any
   * other, and the managers replace it as its restart policy says.
   */
  async interrupt(taskId: string, how: { signal: string } | { graceMs?: number }): Promise<void> {
    const h = this.handled.get(taskId);
    if (!h?.container || h.container.exit) throw conflict(`Container ${h?.container?.id ?? taskId} is not running`);
    if ('signal' in how) await this.o.executor.kill(taskId, how.signal);
    else await this.o.executor.stop(taskId, how.graceMs ?? stopGraceMs(h.task));
  }

  /** After a daemon restart: tasks that kept running are adopted; the managers learn of those that were lost. */
  private async adoptSurvivors(tasks: TaskObject[]): Promise<void> {
    const survivors = await this.o.executor.list();
    const assigned = new Map(tasks.map((t) => [t.ID, t]));
    const settled = new Set<string>();
    for (const s of survivors) {
      const task = assigned.get(s.taskId);
      const wanted = task && idx(task.DesiredState) <= RUNNING && idx(task.Status.State) <= RUNNING;
      if (s.running && wanted) {
        const started = await this.o.executor.adopt(s.taskId);
        if (started) {
          await attachTaskNetworks(task, this.o.nodeId, this.o.controlPlane, this.o.networks).catch((err) => this.logFor(task).warn({ err }, 'plugging an adopted task\'s networks failed'));
          const h: Handled = { task, stopping: false, started: true, container: { id: started.containerId, startedAt: task.Status.Timestamp }, unhealthy: failedHealthCheck(task) };
          this.handled.set(task.ID, h);
          this.logFor(task).info({ pid: started.pid }, 'adopted a task that kept running across the restart');
          void this.awaitExit(h);
          continue;
        }
      }
      // Ended while shoald was away, not wanted any more (replaced elsewhere meanwhile), or unknown: clean it up.
      await this.release(s.taskId);
      if (task && !wanted && idx(task.Status.State) <= RUNNING) {
        this.report(task, 'shutdown', 'shutdown');
        settled.add(task.ID);
      }
    }
    for (const task of assigned.values()) {
      const state = idx(task.Status.State);
      if (!this.handled.has(task.ID) && !settled.has(task.ID) && state >= idx('accepted') && state <= RUNNING) {
        this.report(task, 'failed', 'task: lost while shoald was not running', 'the task\'s process ended while shoald was down');
      }
    }
  }

  private reconcile(tasks: TaskObject[]): void {
    if (this.stopped) return;
    const present = new Set<string>();
    for (const task of tasks) {
      present.add(task.ID);
      const h = this.handled.get(task.ID);
      if (h) h.task = task;
      const wantRunning = idx(task.DesiredState) <= RUNNING;
      if (!h && wantRunning && task.Status.State === 'assigned') {
        void this.run(task);
      } else if (!wantRunning && idx(task.Status.State) <= RUNNING) {
        if (h) void this.stopTask(h);
        else if (idx(task.Status.State) < idx('shutdown')) this.report(task, 'shutdown', 'shutdown');
      }
    }
    // Tasks the managers deleted (history cleanup, service removed): free what they held.
    for (const [id, h] of this.handled) {
      if (present.has(id)) continue;
      this.handled.delete(id);
      h.stopping = true;
      void this.release(id);
    }
  }

  private async run(task: TaskObject): Promise<void> {
    const h: Handled = { task, stopping: false, started: false };
    this.handled.set(task.ID, h);
    const log = this.logFor(task);
    this.report(task, 'accepted', 'accepted');
    this.report(task, 'preparing', 'preparing');
    let spec;
    try {
      const serviceName = this.o.controlPlane.serviceName(task.ServiceID) ?? task.ServiceID;
      spec = await buildRunSpec(task, serviceName, this.o.nodeId, this.o.controlPlane, this.o.networks);
      await this.o.executor.prepare?.(spec);
    } catch (err) {
      log.warn({ err }, 'task rejected while preparing');
      this.report(task, 'rejected', 'preparing failed', errorMessage(err));
      await this.o.networks.detach(task.ID);
      return;
    }
    if (h.stopping) return this.report(h.task, 'shutdown', 'shutdown');
    this.report(task, 'starting', 'starting');
    try {
      const started = await this.o.executor.start(spec);
      h.started = true;
      h.container = { id: started.containerId, startedAt: new Date(this.o.clock.now()).toISOString() };
      const container = { ContainerID: started.containerId, PID: started.pid, ExitCode: 0 };
      if (hasHealthCheck(spec.healthCheck) && this.o.executor.health) {
        // As in Swarm, a health-checked task counts as running (and joins the mesh) once healthy.
        h.awaitingHealth = container;
        this.report(task, 'starting', 'starting', undefined, container);
        const now = await this.o.executor.health(task.ID);
        if (now) this.healthChanged(task.ID, now);
      } else {
        await this.untilAccepting(h, container);
        this.report(task, 'running', started.note ?? 'started', undefined, container);
      }
      log.info({ pid: started.pid }, 'task started');
    } catch (err) {
      log.warn({ err }, 'task failed to start');
      this.report(task, 'failed', 'starting failed', errorMessage(err));
      await this.o.networks.detach(task.ID);
      return;
    }
    if (h.stopping) void this.stopTask(h, true);
    await this.awaitExit(h);
  }

  /**
   * A task without a health check that publishes TCP ports stays `starting` (out of the mesh) until
   * its address accepts connections on them, for up to READINESS_BOUND_MS; then it enters anyway.
   * Without this the mesh would send it connections before its process listens, to be refused.
   */
  private async untilAccepting(h: Handled, container: TaskStatus['ContainerStatus']): Promise<void> {
    const targets = readinessTargets(h.task, this.o.controlPlane.serviceEndpoint(h.task.ServiceID));
    if (targets.length === 0) return;
    this.report(h.task, 'starting', 'starting', undefined, container);
    const t0 = Date.now();
    const ready = await waitAccepting(targets, READINESS_BOUND_MS, () => h.stopping);
    const fields = { targets: targets.map((t) => `${t.host}:${t.port}`), waitedMs: Date.now() - t0 };
    if (ready) this.logFor(h.task).debug(fields, 'task accepts connections on its published ports');
    else if (!h.stopping) this.logFor(h.task).warn(fields, `task did not accept connections on its published ports within ${READINESS_BOUND_MS} ms: it enters the mesh anyway (give it a health check to hold it out longer)`);
  }

  private async awaitExit(h: Handled): Promise<void> {
    let exit: TaskExit;
    try {
      exit = await this.o.executor.wait(h.task.ID);
    } catch (err) {
      exit = { exitCode: -1, message: errorMessage(err) };
    }
    if (h.container) h.container.exit = { exitCode: exit.exitCode, at: new Date(this.o.clock.now()).toISOString() };
    if (this.stopped && !h.stopping) return;
    const status = { ExitCode: exit.exitCode };
    if (h.unhealthy) this.report(h.task, 'failed', 'unhealthy', UNHEALTHY_ERR, status);
    else if (h.stopping) this.report(h.task, 'shutdown', 'shutdown', undefined, status);
    else if (exit.exitCode === 0) this.report(h.task, 'complete', 'finished', undefined, status);
    else this.report(h.task, 'failed', 'started', exit.message, status);
    await this.o.networks.detach(h.task.ID).catch((err) => this.logFor(h.task).warn({ err }, 'unplugging the task\'s networks failed'));
  }

  /** A logger whose lines name the task, its service, node and networks. */
  private logFor(task: TaskObject): Logger {
    return this.o.log.child(taskLogFields(task, this.o.controlPlane.serviceName(task.ServiceID)));
  }

  /**
   * A task's health check changed: healthy lets it serve. Unhealthy is reported and nothing more:
   * the managers take the task out of every host's mesh, then tell this host to stop it (the drain
   * barrier), so no host still sends it new connections when it stops. It is replaced as it ends.
   */
  private healthChanged(taskId: string, health: TaskHealth): void {
    const h = this.handled.get(taskId);
    if (!h || h.stopping || h.unhealthy) return;
    if (health === 'healthy' && h.awaitingHealth) {
      this.report(h.task, 'running', 'started', undefined, h.awaitingHealth);
      h.awaitingHealth = undefined;
    } else if (health === 'unhealthy' && !h.awaitingHealth) {
      this.logFor(h.task).warn('task failed its health check: out of the mesh, to be stopped once every host stopped sending it connections');
      h.unhealthy = true;
      this.report(h.task, 'running', 'unhealthy', UNHEALTHY_ERR);
    } else if (health === 'unhealthy') {
      // Never healthy, so never in the mesh: nothing to drain.
      this.logFor(h.task).warn('task failed its health check before it was ever healthy: stopping it');
      h.unhealthy = true;
      void this.stopTask(h);
    }
  }

  /** Removes what a task left on this host: its process, namespace and files, and its hold on networks. */
  private async release(taskId: string): Promise<void> {
    const task = this.handled.get(taskId)?.task;
    const log = task ? this.logFor(task) : this.o.log.child({ task: taskId });
    await this.o.executor.remove(taskId).catch((err) => log.warn({ err }, 'task cleanup failed'));
    await this.o.networks.detach(taskId).catch((err) => log.warn({ err }, 'unplugging the task\'s networks failed'));
  }

  private async stopTask(h: Handled, force = false): Promise<void> {
    if (h.stopping && !force) return;
    h.stopping = true;
    if (!h.started) return; // run() sees `stopping` before it starts the process
    try {
      await this.o.executor.stop(h.task.ID, stopGraceMs(h.task));
    } catch (err) {
      this.logFor(h.task).warn({ err }, 'stopping the task failed');
    }
  }

  private report(task: TaskObject, state: TaskState, message: string, err?: string, container?: TaskStatus['ContainerStatus']): void {
    const prev = this.outbox.get(task.ID);
    const base = prev ?? task.Status;
    const status: TaskStatus = {
      Timestamp: new Date(this.o.clock.now()).toISOString(),
      State: state,
      Message: message,
      ...(err ? { Err: err } : {}),
      ContainerStatus: { ...(base.ContainerStatus ?? {}), ...(container ?? {}) },
      PortStatus: base.PortStatus ?? {},
    };
    this.outbox.set(task.ID, status);
    if (!this.flushing) this.flushing = new Promise((r) => setImmediate(r)).then(() => this.flush());
  }

  private async flush(): Promise<void> {
    const updates = [...this.outbox].map(([taskId, status]) => ({ taskId, status }));
    this.outbox.clear();
    try {
      await this.o.controlPlane.reportStatus(updates);
    } catch (err) {
      this.o.log.error({ err, tasks: updates.length }, 'reporting task status failed');
    } finally {
      this.flushing = undefined;
      if (this.outbox.size > 0) this.flushing = this.flush();
    }
  }
}
