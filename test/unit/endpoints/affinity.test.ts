import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AFFINITY_LABEL, parseDurationSeconds } from '../../../src/cluster/endpoints/affinity.js';
import { portLabelValue } from '../../../src/cluster/endpoints/port-labels.js';

test('affinity timeouts are Go-style durations of whole seconds', () => {
  for (const [text, seconds] of [['10m', 600], ['45s', 45], ['1h30m', 5400], ['2.5m', 150], ['1h', 3600]] as const) assert.equal(parseDurationSeconds(text), seconds, text);
  for (const bad of ['', '10', '10x', 'm', '-5m', '0s', '0.5s', '10 m', '1d']) assert.ok(parseDurationSeconds(bad) instanceof Error, bad);
});

test('a service labels affinity per published port; other labels and bad values are left out', () => {
  const labels = { 'shoal.affinity.8080': '10m', 'shoal.affinity.53': '30s', 'shoal.affinity.x': '1m', 'shoal.affinity.9': 'soon', other: '1m' };
  const ports = [{ protocol: 'tcp', publishedPort: 8080 }, { protocol: 'udp', publishedPort: 53 }, { protocol: 'tcp', publishedPort: 9 }, { protocol: 'tcp', publishedPort: 80 }];
  assert.deepEqual(ports.map((p) => portLabelValue(AFFINITY_LABEL, labels, p)), [600, 30, undefined, undefined]);
  assert.equal(portLabelValue(AFFINITY_LABEL, undefined, ports[0]!), undefined);
});
