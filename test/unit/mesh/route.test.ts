import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FAILED_BACKEND_COOLDOWN_MS, Route } from '../../../src/mesh/dataplane/userspace/route.js';

const route = (...addrs: string[]) => {
  const r = new Route('web', 'tcp/8080', 80);
  r.setBackends(addrs.map((address) => ({ taskId: address, address })));
  return r;
};

test('round robin over the backends', () => {
  const r = route('a', 'b', 'c');
  assert.deepEqual(Array.from({ length: 6 }, () => r.pick(undefined, 0)!.address), ['a', 'b', 'c', 'a', 'b', 'c']);
});

test('a retry skips what the connection tried; nothing is left once all are tried', () => {
  const r = route('a', 'b');
  assert.equal(r.pick(new Set(['a']), 0)!.address, 'b');
  assert.equal(r.pick(new Set(['a', 'b']), 0), undefined);
});

test('a failed backend is tried last during its cooldown, then again in turn', () => {
  const r = route('a', 'b', 'c');
  assert.equal(r.markFailed('a', 1000), true);
  assert.equal(r.markFailed('a', 1001), false, 'already cooling down: not worth another log line');
  const during = Array.from({ length: 4 }, () => r.pick(undefined, 1500)!.address);
  assert.ok(!during.includes('a'), during.join());
  assert.equal(r.pick(new Set(['b', 'c']), 1500)!.address, 'a', 'the only one left is still tried');
  const later = Array.from({ length: 3 }, () => r.pick(undefined, 1001 + FAILED_BACKEND_COOLDOWN_MS)!.address);
  assert.ok(later.includes('a'));
});

test('swapping backends keeps the route, forgets failures of backends that left', () => {
  const r = route('a', 'b');
  r.markFailed('a', 0);
  r.setBackends([{ taskId: 'b', address: 'b' }]);
  r.setBackends([{ taskId: 'a', address: 'a' }]);
  assert.equal(r.pick(undefined, 1)!.address, 'a');
  assert.ok(r.has('a') && !r.has('b'));
});

test('a connection watching its backend is told when the backend leaves, after the swap, and not once it stopped watching', async () => {
  const r = route('a', 'b');
  const gone: string[] = [];
  r.whileUnanswered('a', () => gone.push(`first, sees ${r.size} backend(s)`));
  const stop = r.whileUnanswered('a', () => gone.push('stopped watching'));
  r.whileUnanswered('b', () => gone.push('b'));
  stop();
  r.setBackends([{ taskId: 'b', address: 'b' }]);
  assert.deepEqual(gone, [], 'not inside setBackends');
  await Promise.resolve();
  assert.deepEqual(gone, ['first, sees 1 backend(s)']);
  r.setBackends([{ taskId: 'c', address: 'c' }]);
  await Promise.resolve();
  assert.deepEqual(gone, ['first, sees 1 backend(s)', 'b']);
});
