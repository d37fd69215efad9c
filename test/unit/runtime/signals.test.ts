import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSignal } from '../../../src/runtime/process/signals.js';

test('stop signals are accepted as Docker takes them', () => {
  assert.equal(parseSignal(undefined), 'SIGTERM');
  assert.equal(parseSignal(''), 'SIGTERM');
  assert.equal(parseSignal('SIGINT'), 'SIGINT');
  assert.equal(parseSignal('quit'), 'SIGQUIT');
  assert.equal(parseSignal('9'), 'SIGKILL');
  assert.throws(() => parseSignal('SIGNOPE'), /invalid stop signal "SIGNOPE"/);
  assert.throws(() => parseSignal('999'), /invalid stop signal/);
});
