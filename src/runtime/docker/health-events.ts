import { setTimeout as sleep } from 'node:timers/promises';
import type Docker from 'dockerode';
import { errorMessage } from '../../util/errors.js';
import type { Logger } from '../../util/logger.js';
import type { TaskHealth } from '../types.js';
import { LABEL_TASK, ownFilter } from './labels.js';

type Listener = (taskId: string, health: TaskHealth) => void;

const RECONNECT_MS = 1000;
const STATES: readonly TaskHealth[] = ['starting', 'healthy', 'unhealthy'];

/**
 * Follows the engine's `health_status` events of this executor's task containers while anyone
 * listens. Each time the stream (re)connects, the current health of every checked task is told
 * too, so a change missed while the stream was down is not lost.
 */
export class HealthEvents {
  private readonly listeners = new Set<Listener>();
  private running?: AbortController;

  constructor(
    private readonly docker: Docker,
    private readonly executor: string,
    private readonly log: Logger,
  ) {}

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    if (!this.running) void this.follow((this.running = new AbortController()).signal);
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.close();
    };
  }

  close(): void {
    this.running?.abort();
    this.running = undefined;
  }

  private async follow(signal: AbortSignal): Promise<void> {
    const filters = { type: ['container' as const], event: ['health_status'], label: ownFilter(this.executor, undefined, 'task').label };
    while (!signal.aborted) {
      try {
        const stream = await this.docker.getEvents({ filters, abortSignal: signal });
        await this.tellCurrent();
        let pending = '';
        for await (const chunk of stream) {
          pending += chunk.toString();
          for (let nl = pending.indexOf('\n'); nl >= 0; nl = pending.indexOf('\n')) {
            this.tellEvent(pending.slice(0, nl));
            pending = pending.slice(nl + 1);
          }
        }
      } catch (err) {
        if (!signal.aborted) this.log.warn({ err: errorMessage(err) }, 'health events from the Docker engine lost: reconnecting');
      }
      await sleep(RECONNECT_MS, undefined, { signal }).catch(() => undefined);
    }
  }

  private tellEvent(line: string): void {
    if (!line.trim()) return;
    const event = JSON.parse(line) as { Action?: string; Actor?: { Attributes?: Record<string, string> } };
    const health = event.Action?.replace(/^health_status:\s*/, '') as TaskHealth;
    const taskId = event.Actor?.Attributes?.[LABEL_TASK];
    if (taskId && STATES.includes(health)) this.tell(taskId, health);
  }

  private async tellCurrent(): Promise<void> {
    for (const health of STATES) {
      const containers = await this.docker.listContainers({ filters: { ...ownFilter(this.executor, undefined, 'task'), health: [health] } });
      for (const c of containers) {
        const taskId = c.Labels[LABEL_TASK];
        if (taskId) this.tell(taskId, health);
      }
    }
  }

  private tell(taskId: string, health: TaskHealth): void {
    for (const listener of this.listeners) listener(taskId, health);
  }
}
