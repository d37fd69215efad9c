// Runs inside a docker runtime lab (see start-times.test.ts): start latency of the docker executor beside the process executor.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DockerExecutor } from '../../../src/runtime/docker/index.js';
import { ImageStore } from '../../../src/runtime/images/index.js';
import { ProcessExecutor } from '../../../src/runtime/process/index.js';
import type { TaskExecutor } from '../../../src/runtime/types.js';
import { silentLogger } from '../../../src/util/logger.js';
import { busyboxRootfsTarball } from '../busybox.js';
import { waitUntil } from '../wait.js';
import { labTaskSpec } from '../runtime/task-spec.js';
import { dockerLabFromEnv, dockerLeftovers, newDockerExecutor } from './docker-lab.js';

const lab = dockerLabFromEnv();
const TASKS = 10;

describe('start times', { skip: !lab && 'runs inside a docker lab: see start-times.test.ts' }, () => {
  const d = lab!;
  let docker: DockerExecutor;
  let processes: ProcessExecutor;

  before(async () => {
    const dataDir = join(d.dir, 'process-executor');
    const images = new ImageStore({ dataDir, logger: silentLogger });
    await images.importImage(await readFile(await busyboxRootfsTarball()), 'busybox:latest');
    processes = new ProcessExecutor({ dataDir, namePrefix: `${d.namePrefix}p`, images, logger: silentLogger });
    docker = newDockerExecutor(d);
  });
  after(async () => {
    for (const ex of [docker, processes]) for (const t of await ex.list()) await ex.remove(t.taskId);
    docker.close();
    processes.close();
    assert.deepEqual(await dockerLeftovers(d), []);
  });

  /** One task alone after a warm-up, then TASKS at once; every task answers on its address before the clock stops. */
  async function measure(ex: TaskExecutor): Promise<{ one: number; all: number; removed: number }> {
    const httpd = () => labTaskSpec(d, ['httpd', '-f', '-p', '80', '-h', '/etc']);
    const warmUp = httpd();
    await ex.start(warmUp);
    await ex.remove(warmUp.taskId);
    const first = httpd();
    let t0 = performance.now();
    await ex.start(first);
    const one = performance.now() - t0;
    await ex.remove(first.taskId);
    const specs = Array.from({ length: TASKS }, httpd);
    t0 = performance.now();
    await Promise.all(specs.map((s) => ex.start(s)));
    const all = performance.now() - t0;
    // Started is not yet listening: each task gets a few seconds to answer (the clock above has stopped).
    for (const s of specs) {
      const url = `http://${s.networks[0]!.address.split('/')[0]}/hostname`;
      const body = await waitUntil(`${url} answers`, () => fetch(url).then((r) => r.text(), () => undefined), { timeoutMs: 10_000, intervalMs: 100 });
      assert.equal(body, 'task-host\n');
    }
    t0 = performance.now();
    await Promise.all(specs.map((s) => ex.remove(s.taskId)));
    return { one, all, removed: performance.now() - t0 };
  }

  it(`starts ${TASKS} container tasks and ${TASKS} process tasks`, async (t) => {
    const ms = (n: number) => `${n.toFixed(0)} ms`;
    for (const ex of [processes, docker]) {
      const r = await measure(ex);
      const report = `${ex.kind}: one task started in ${ms(r.one)}; ${TASKS} tasks started concurrently in ${ms(r.all)}; removed in ${ms(r.removed)}`;
      t.diagnostic(report);
      console.log(`# ${report}`);
    }
  });
});
