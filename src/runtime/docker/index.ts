export { DockerExecutor } from './docker-executor.js';
export type { DockerExecutorOptions } from './docker-executor.js';
export { connectEngine, engineAnswers } from './engine.js';
