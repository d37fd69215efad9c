import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HealthMonitor, healthProbeArgv } from '../../../src/runtime/process/health-monitor.js';
import { ManualClock } from '../../../src/util/clock.js';
import type { TaskHealth } from '../../../src/runtime/types.js';

const S = 1e9;
/** Lets the probe's promise settle after a timer fired. */
const settle = () => new Promise((r) => setImmediate(r));

function monitor(check: { Interval?: number; Retries?: number; StartPeriod?: number }, results: boolean[]) {
  const clock = new ManualClock(0);
  const changes: TaskHealth[] = [];
  const timeouts: number[] = [];
  const m = new HealthMonitor({
    check: { Test: ['CMD', 'true'], ...check },
    probe: async (timeoutMs) => {
      timeouts.push(timeoutMs);
      return results.shift() ?? false;
    },
    startedAt: 0,
    clock,
    onChange: (h) => changes.push(h),
  });
  const tick = async (seconds: number) => {
    for (let i = 0; i < seconds; i++) {
      clock.advance(1000);
      await settle();
    }
  };
  return { m, changes, timeouts, tick };
}

test('health: starting until a check passes; unhealthy after Retries failures in a row; a pass resets the count', async () => {
  const { m, changes, timeouts, tick } = monitor({ Interval: 1 * S, Retries: 2 }, [false, true, false, true, false, false]);
  assert.equal(m.health, 'starting');
  await tick(1);
  assert.equal(m.health, 'starting', 'one failure of two allowed');
  await tick(1);
  assert.equal(m.health, 'healthy');
  await tick(2);
  assert.equal(m.health, 'healthy', 'a failure, then a pass: the count starts again');
  await tick(2);
  assert.deepEqual(changes, ['healthy', 'unhealthy']);
  assert.equal(timeouts[0], 30_000, "Docker's default timeout");
  m.stop();
});

test('health: failures in the start period do not count while starting', async () => {
  const { m, changes, tick } = monitor({ Interval: 1 * S, Retries: 1, StartPeriod: 3 * S }, [false, false, false, false]);
  await tick(2);
  assert.equal(m.health, 'starting');
  await tick(2);
  assert.deepEqual(changes, ['unhealthy'], 'the first failure after the start period counts');
  m.stop();
});

test('health: stop ends the checks; the check command as Docker runs it', async () => {
  const { m, timeouts, tick } = monitor({ Interval: 1 * S }, [true, true]);
  await tick(1);
  m.stop();
  await tick(3);
  assert.equal(timeouts.length, 1);
  assert.deepEqual(healthProbeArgv(['CMD', 'test', '-f', '/ok']), ['test', '-f', '/ok']);
  assert.deepEqual(healthProbeArgv(['CMD-SHELL', 'wget -q localhost || exit 1']), ['/bin/sh', '-c', 'wget -q localhost || exit 1']);
  assert.equal(healthProbeArgv(['NONE']), undefined);
  assert.equal(healthProbeArgv(undefined), undefined);
});
