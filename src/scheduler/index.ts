/**
 * The manager's task loops. Contract with the other components (all through the store):
 * - orchestrators create tasks `new` / desired `running`; the allocator moves them to
 *   `pending`; the scheduler to `assigned` (with NodeID); the agent onwards.
 * - a task that cannot be placed stays `pending` with Docker's `Status.Err`
 *   ("no suitable node (...)"), which `docker service ps` shows as ERROR.
 * - desired `shutdown`: replaced or stopped, kept as history; desired `remove`: given up
 *   (scale-down, service removed), deleted once stopped. Tasks are never created with
 *   desired `ready`: a restart delay holds back the creation of the replacement instead.
 * - a rollback is told from an update by `UpdateStatus.State === 'rollback_started'`, which
 *   controlapi sets for `rollback=previous` (and clears UpdateStatus on any other update).
 */
export { startManagerLoops } from './manager-loops.js';
export type { LoopOptions as ManagerLoopsOptions } from './loop.js';
export { isTaskDirty } from './orchestrator/dirty.js';
