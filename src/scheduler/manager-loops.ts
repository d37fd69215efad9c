import type { LoopOptions } from './loop.js';
import { Orchestrator } from './orchestrator/orchestrator.js';
import { TaskReaper } from './orchestrator/reaper.js';
import { Scheduler } from './scheduler.js';

/**
 * Starts the leader's task loops over the store — orchestrators (replicated, global, restart,
 * rolling update), the scheduler and the task reaper — each of which first reconciles
 * everything already in the store (as after a daemon restart). Returns a function that stops
 * them and waits for the passes in progress.
 */
export function startManagerLoops(opts: LoopOptions): () => Promise<void> {
  const loops = [new Orchestrator(opts), new Scheduler(opts), new TaskReaper(opts)];
  for (const loop of loops) loop.start();
  return async () => {
    await Promise.all(loops.map((l) => l.stop()));
  };
}
