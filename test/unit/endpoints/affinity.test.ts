import { test } from 'node:test';
import assert from 'node:assert/strict';
import { affinityByPort, parseDurationSeconds } from '../../../src/cluster/endpoints/affinity.js';

test('affinity timeouts are Go-style durations of whole seconds', () => {
  for (const [text, seconds] of [['10m', 600], ['45s', 45], ['1h30m', 5400], ['2.5m', 150], ['1h', 3600]] as const) assert.equal(parseDurationSeconds(text), seconds, text);
  for (const bad of ['', '10', '10x', 'm', '-5m', '0s', '0.5s', '10 m', '1d']) assert.ok(parseDurationSeconds(bad) instanceof Error, bad);
});

test('a service labels affinity per published port; other labels and bad values are left out', () => {
  const labels = { 'shoal.affinity.8080': '10m', 'shoal.affinity.53': '30s', 'shoal.affinity.x': '1m', 'shoal.affinity.9': 'soon', other: '1m' };
  assert.deepEqual([...affinityByPort(labels)], [[8080, 600], [53, 30]]);
  assert.equal(affinityByPort(undefined).size, 0);
});
