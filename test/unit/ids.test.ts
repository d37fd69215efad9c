import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newId, newHexId } from '../../src/util/ids.js';

test('IDs are 25 lowercase base36 characters and unique', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 2000; i++) {
    const id = newId();
    assert.match(id, /^[0-9a-z]{25}$/);
    assert.ok(!seen.has(id));
    seen.add(id);
  }
  assert.match(newHexId(), /^[0-9a-f]{64}$/);
});
