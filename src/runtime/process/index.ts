export { ProcessExecutor } from './process-executor.js';
export type { ProcessExecutorOptions } from './process-executor.js';
export { netnsName, hostVethName } from './task-network.js';
