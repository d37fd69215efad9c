import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/util/clock.js';

test('manual clock fires timers in deadline order and only when advanced', () => {
  const clock = new ManualClock(1000);
  const fired: string[] = [];
  clock.setTimeout(() => fired.push('b'), 20);
  clock.setTimeout(() => fired.push('a'), 10);
  const c = clock.setTimeout(() => fired.push('c'), 15);
  clock.clearTimeout(c);
  clock.advance(5);
  assert.deepEqual(fired, []);
  clock.advance(20);
  assert.deepEqual(fired, ['a', 'b']);
  assert.equal(clock.now(), 1025);
});
