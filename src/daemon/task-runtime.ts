import { createHash } from 'node:crypto';
import type { DaemonOptions } from '../cli/shoald/options.js';
import { errorMessage, ShoalError } from '../util/errors.js';
import type { Logger } from '../util/logger.js';
import { connectEngine, DockerExecutor, engineAnswers } from '../runtime/docker/index.js';
import type { ImageStore } from '../runtime/images/index.js';
import { ProcessExecutor } from '../runtime/process/index.js';

export type TaskRuntime = ProcessExecutor | DockerExecutor;

/**
 * The executor `--runtime` asks for: docker, process, or (auto) docker when the engine at
 * `--docker-host` answers /_ping, else process. An explicit docker without an engine is an error.
 */
export async function chooseTaskRuntime(opts: DaemonOptions, images: ImageStore, log: Logger): Promise<TaskRuntime> {
  const namePrefix = namespacePrefix(opts.dataDir);
  const processExecutor = () => new ProcessExecutor({ dataDir: opts.dataDir, namePrefix, images, logger: log });
  if (opts.runtime === 'process') return processExecutor();
  let why: string;
  try {
    const docker = connectEngine(opts.dockerHost);
    if (await engineAnswers(docker)) return new DockerExecutor({ docker, namePrefix, logger: log });
    why = `no Docker engine answers at ${opts.dockerHost}`;
  } catch (err) {
    why = errorMessage(err);
  }
  if (opts.runtime === 'docker') throw new ShoalError('unavailable', `--runtime docker: ${why}`);
  log.info({ dockerHost: opts.dockerHost, reason: why }, 'runtime auto: using the process runtime');
  return processExecutor();
}

/** Task namespace names start with this: unique per daemon, since daemons on one machine share /run/netns. */
export function namespacePrefix(dataDir: string): string {
  return `shoal-${createHash('sha256').update(dataDir).digest('hex').slice(0, 8)}`;
}
