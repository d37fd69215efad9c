import type { TaskObject } from './types.js';

/** The error a task's status carries once it failed its health check (while it drains, and after it stopped). */
export const UNHEALTHY_ERR = 'task: unhealthy container';

/** The task failed its health check (it may still be running, or have stopped since). */
export const failedHealthCheck = (task: TaskObject): boolean => task.Status.Err === UNHEALTHY_ERR;

/**
 * Still running, but its health check failed: its host reports it and keeps it running, the
 * managers take it out of every host's mesh at once (it drains like a task told to stop), and
 * tell its host to stop it once the hosts confirmed that (the drain barrier); it ends `failed`.
 */
export const isUnhealthy = (task: TaskObject): boolean => task.Status.State === 'running' && failedHealthCheck(task);
