import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runLabFile } from './runtime-lab.js';

test('process executor, run inside a lab network namespace', { skip: process.getuid?.() !== 0 && 'needs root' }, async () => {
  const { code } = await runLabFile(new URL('./process-executor.lab.js', import.meta.url));
  assert.equal(code, 0, 'the lab tests above failed');
});
