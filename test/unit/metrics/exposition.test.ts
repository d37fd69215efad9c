import { test } from 'node:test';
import assert from 'node:assert/strict';
import { family, render } from '../../../src/metrics/exposition.js';
import { Histogram } from '../../../src/metrics/histogram.js';
import { metricValue, parsePrometheusText } from '../../e2e/prometheus-text.js';

test('render: HELP and TYPE per family, escaped labels, histograms cumulative with +Inf; the strict parser reads it back', () => {
  const h = new Histogram([0.001, 0.01]);
  for (const v of [0.0005, 0.005, 0.005, 3]) h.observe(v);
  const text = render([
    family('shoal_x_total', 'counter', 'X\\es.', [{ labels: { service: 'we"b\n', entry: 'tcp/8080' }, value: 3 }]),
    family('shoal_lat_seconds', 'histogram', 'Latency.', h.samples({ class: 'service' })),
    family('shoal_x_total', 'counter', 'ignored: merged into the first', [{ labels: { service: 'db', entry: 'tcp/5432' }, value: 1 }]),
  ]);
  assert.match(text, /^# HELP shoal_x_total X\\\\es\.\n# TYPE shoal_x_total counter\nshoal_x_total\{service="we\\"b\\n",entry="tcp\/8080"\} 3\n/);
  const parsed = parsePrometheusText(text);
  assert.equal(metricValue(parsed, 'shoal_x_total', { service: 'we"b\n' }), 3);
  assert.equal(metricValue(parsed, 'shoal_x_total', { service: 'db' }), 1);
  assert.deepEqual(['0.001', '0.01', '+Inf'].map((le) => metricValue(parsed, 'shoal_lat_seconds_bucket', { le })), [1, 3, 4]);
  assert.equal(metricValue(parsed, 'shoal_lat_seconds_sum'), 3.0105);
});

test('the strict parser refuses what Prometheus refuses', () => {
  const bad = [
    'x_total 1\n', // no TYPE
    '# TYPE x counter\nx 1\n', // counter without _total
    '# TYPE x_total counter\nx_total{a="1} 1\n',
    '# TYPE x_total counter\nx_total 1\nx_total 2\n',
    '# TYPE x_total counter\nx_total one\n',
    '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n',
    '# TYPE x_total counter\nx_total 1',
  ];
  for (const text of bad) assert.throws(() => parsePrometheusText(text), Error, text);
});
