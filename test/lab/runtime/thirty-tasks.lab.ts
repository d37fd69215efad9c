// Runs inside a runtime lab (see thirty-tasks.test.ts): 30 tasks started at once, each with its own address.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { TaskRunSpec } from '../../../src/runtime/types.js';
import { newId } from '../../../src/util/ids.js';
import { useLabExecutor } from './lab-executor.js';
import { labFromEnv } from './runtime-lab.js';

const lab = labFromEnv();
const TASKS = 30;

describe('thirty tasks', { skip: !lab && 'runs inside a lab: see thirty-tasks.test.ts' }, () => {
  const l = lab!;
  const executor = useLabExecutor(l);

  it(`starts ${TASKS} tasks concurrently, each on the bridge, and removes them`, async (t) => {
    const ex = executor();
    const specs: TaskRunSpec[] = Array.from({ length: TASKS + 1 }, (_, i) => {
      const taskId = newId();
      return {
        taskId,
        name: `web.${i + 1}.${taskId}`,
        serviceName: 'web',
        image: 'busybox',
        command: ['httpd', '-f', '-p', '80', '-h', '/etc'],
        args: [],
        env: [],
        hostname: '',
        networks: [{ networkId: 'n1', networkName: 'labnet', address: `${l.subnet}.${100 + i}/24`, gateway: l.gateway, bridge: l.bridge, mtu: 1450 }],
        files: [],
        stopSignal: 'SIGTERM',
        stopGracePeriodMs: 1000,
        labels: {},
      };
    });
    // A warm-up (it installs the supervisor script), then one task alone: one start's latency.
    const warmUp = specs.pop()!;
    await ex.start(warmUp);
    await ex.remove(warmUp.taskId);
    const first = specs.shift()!;
    let t0 = performance.now();
    await ex.start(first);
    const one = performance.now() - t0;
    await ex.remove(first.taskId);
    t0 = performance.now();
    await Promise.all(specs.map((s) => ex.start(s)));
    await ex.start(first);
    const started = performance.now() - t0;
    const running = await ex.list();
    assert.equal(running.filter((r) => r.running).length, TASKS);
    const hostname = await fetch(`http://${l.subnet}.${100 + TASKS - 1}/hostname`).then((r) => r.text());
    assert.equal(hostname, `${specs[TASKS - 2]!.taskId.slice(0, 12)}\n`);
    t0 = performance.now();
    await Promise.all([first, ...specs].map((s) => ex.remove(s.taskId)));
    const removed = performance.now() - t0;
    const report = `one task started in ${one.toFixed(0)} ms; ${TASKS} tasks started concurrently in ${started.toFixed(0)} ms; removed in ${removed.toFixed(0)} ms`;
    t.diagnostic(report);
    console.log(`# ${report}`);
  });
});
