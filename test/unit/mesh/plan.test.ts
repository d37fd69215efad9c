import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planDataPlane } from '../../../src/mesh/dataplane/plan.js';
import { planChanges } from '../../../src/mesh/dataplane/plan-changes.js';
import { hostPort, ingressPort, service, table, task } from './table-fixture.js';

const web = service('web', [ingressPort('tcp', 8080, 80), ingressPort('udp', 5353, 53)], { ing: '10.0.0.5/24', app: '10.0.1.5/24' });
const api = service('api', [hostPort('tcp', 9090, 90)], { app: '10.0.1.6/24' });
const tasks = [
  task('t2', 'web', 'n2', { ing: '10.0.0.12/24', app: '10.0.1.12/24' }),
  task('t1', 'web', 'n1', { ing: '10.0.0.11/24', app: '10.0.1.11/24' }),
  task('a1', 'api', 'n2', { app: '10.0.1.21/24' }),
];

test('ingress ports are served on every host, over all tasks by their ingress address, sorted by task', () => {
  for (const node of ['n1', 'n2']) {
    const plan = planDataPlane(table([web, api], tasks), node);
    const tcp = plan.ports.find((p) => p.protocol === 'tcp' && p.port === 8080)!;
    assert.deepEqual(tcp.backends, [
      { taskId: 't1', address: '10.0.0.11' },
      { taskId: 't2', address: '10.0.0.12' },
    ]);
    assert.equal(tcp.targetPort, 80);
    assert.ok(plan.ports.some((p) => p.protocol === 'udp' && p.port === 5353 && p.backends.length === 2));
  }
});

test('host-mode ports are served only where a task runs, to the local task', () => {
  assert.equal(planDataPlane(table([web, api], tasks), 'n1').ports.find((p) => p.port === 9090), undefined);
  const p = planDataPlane(table([web, api], tasks), 'n2').ports.find((x) => x.port === 9090)!;
  assert.equal(p.mode, 'host');
  assert.deepEqual(p.backends, [{ taskId: 'a1', address: '10.0.1.21' }]);
});

test('VIPs on every network but ingress, over the tasks on that network, with the target ports to listen on', () => {
  const plan = planDataPlane(table([web, api], tasks), 'n1');
  assert.deepEqual(
    plan.vips.map((v) => [v.vip, v.service, v.backends.map((b) => b.address), v.ports]),
    [
      ['10.0.1.5', 'web', ['10.0.1.11', '10.0.1.12'], [{ protocol: 'tcp', port: 80 }, { protocol: 'udp', port: 53 }]],
      ['10.0.1.6', 'api', ['10.0.1.21'], [{ protocol: 'tcp', port: 90 }]],
    ],
  );
});

test('dnsrr services get no VIP; SCTP and invalid ports and addresses are left out', () => {
  const rr = service('rr', [ingressPort('tcp', 7000, 70)], { app: '10.0.1.7/24' }, { mode: 'dnsrr' });
  const odd = service('odd', [{ protocol: 'sctp', publishedPort: 9, targetPort: 9, mode: 'ingress' }, ingressPort('tcp', 70000, 1)], { app: 'nonsense' });
  const plan = planDataPlane(table([rr, odd], [task('r1', 'rr', 'n1', { ing: '10.0.0.30/24' }), task('o1', 'odd', 'n1', { ing: '10.0.0.300/24' })]), 'n1');
  assert.deepEqual(plan.vips, []);
  assert.deepEqual(plan.ports.map((p) => p.port), [7000]);
});

test('a port claimed by two services goes to the lower service ID on every host', () => {
  const a = service('a', [ingressPort('tcp', 8000, 1)], {});
  const b = service('b', [ingressPort('tcp', 8000, 2)], {});
  const plan = planDataPlane(table([b, a], []), 'n1');
  assert.deepEqual(plan.ports.map((p) => [p.service, p.targetPort]), [['a', 1]]);
});

test('plan changes list created, changed and removed entries with their backends', () => {
  const before = planDataPlane(table([web, api], tasks), 'n2');
  const after = planDataPlane(table([web], [tasks[1]!, task('t3', 'web', 'n1', { ing: '10.0.0.13/24', app: '10.0.1.13/24' })], 2), 'n2');
  const changes = planChanges(before, after);
  const by = Object.fromEntries(changes.map((c) => [c.entry, c]));
  assert.deepEqual(Object.keys(by).sort(), ['tcp/8080', 'tcp/9090', 'udp/5353', 'vip/10.0.1.5', 'vip/10.0.1.6']);
  assert.deepEqual(by['tcp/8080']!.added.map((b) => b.address), ['10.0.0.13']);
  assert.deepEqual(by['tcp/8080']!.removed.map((b) => b.address), ['10.0.0.12']);
  assert.equal(by['tcp/9090']!.deleted, true);
  assert.deepEqual(by['vip/10.0.1.6']!.protocols, ['tcp', 'udp']);
  assert.deepEqual(planChanges(after, after), []);
  assert.ok(planChanges(undefined, after).every((c) => c.created));
});
