import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { ImageStore } from '../../../src/runtime/images/index.js';
import { ProcessExecutor } from '../../../src/runtime/process/index.js';
import { silentLogger } from '../../../src/util/logger.js';
import { busyboxRootfsTar } from './busybox-image.js';
import { leftovers, type RuntimeLab } from './runtime-lab.js';

/** A process executor on the lab's data dir, which has `busybox:latest` imported. */
export function newLabExecutor(lab: RuntimeLab): ProcessExecutor {
  const images = new ImageStore({ dataDir: lab.dataDir, logger: silentLogger });
  return new ProcessExecutor({ dataDir: lab.dataDir, namePrefix: lab.execPrefix, images, logger: silentLogger });
}

/**
 * Registers the hooks of a lab suite: before, the busybox image is imported and an executor made;
 * after, every task is removed and nothing may be left. Returns the executor's getter.
 */
export function useLabExecutor(lab: RuntimeLab): () => ProcessExecutor {
  let executor: ProcessExecutor | undefined;
  before(async () => {
    await mkdir(lab.dataDir, { recursive: true });
    await new ImageStore({ dataDir: lab.dataDir, logger: silentLogger }).importImage(await busyboxRootfsTar(), 'busybox:latest');
    executor = newLabExecutor(lab);
  });
  after(async () => {
    if (!executor) return;
    for (const t of await executor.list()) await executor.remove(t.taskId);
    executor.close();
    assert.deepEqual(await leftovers(lab), []);
  });
  return () => executor!;
}
