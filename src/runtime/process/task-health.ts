import { spawn } from 'node:child_process';
import { systemClock } from '../../util/clock.js';
import type { TaskHealth, TaskHealthCheck } from '../types.js';
import { HealthMonitor, healthProbeArgv } from './health-monitor.js';

type Listener = (taskId: string, health: TaskHealth) => void;

const PROBE_ENV = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' };

/**
 * Runs `argv` inside a task's namespaces (mount, UTS, network, PID: what it sees, as `docker exec`
 * would), as root; true when it exits 0 within `timeoutMs`.
 */
function probeInTask(pid: number, argv: string[], timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn('nsenter', ['--target', String(pid), '--mount', '--uts', '--net', '--pid', '--', ...argv], { stdio: 'ignore', env: PROBE_ENV });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', () => {
      clearTimeout(timer);
      resolve(false);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code === 0);
    });
  });
}

/** The process runtime's health checks: a monitor per checked task, and the listeners of their changes. */
export class TaskHealthChecks {
  private readonly monitors = new Map<string, HealthMonitor>();
  private readonly listeners = new Set<Listener>();

  /** Starts checking a task running as host PID `pid` since `startedAt` (unix ms), if its check runs a command. */
  watch(taskId: string, check: TaskHealthCheck | undefined, pid: number, startedAt: number): void {
    const argv = healthProbeArgv(check?.Test);
    if (!check || !argv || this.monitors.has(taskId)) return;
    const monitor = new HealthMonitor({
      check,
      probe: (timeoutMs) => probeInTask(pid, argv, timeoutMs),
      startedAt,
      clock: systemClock,
      onChange: (health) => {
        for (const l of this.listeners) l(taskId, health);
      },
    });
    this.monitors.set(taskId, monitor);
  }

  unwatch(taskId: string): void {
    this.monitors.get(taskId)?.stop();
    this.monitors.delete(taskId);
  }

  health(taskId: string): TaskHealth | undefined {
    return this.monitors.get(taskId)?.health;
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): void {
    for (const id of [...this.monitors.keys()]) this.unwatch(id);
  }
}
