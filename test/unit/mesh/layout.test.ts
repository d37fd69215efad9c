import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planDataPlane } from '../../../src/mesh/dataplane/plan.js';
import { listenerLayout } from '../../../src/mesh/dataplane/userspace/layout.js';
import { ingressPort, service, table, task } from './table-fixture.js';

const layoutOf = (...services: ReturnType<typeof service>[]) =>
  listenerLayout(planDataPlane(table(services, [task('t1', 'web', 'n1', { ing: '10.0.0.11/24', app: '10.0.1.11/24' })]), 'n1'));

test('published ports listen on every address; a VIP port alone listens on the VIP', () => {
  const { listeners, routes } = layoutOf(service('web', [ingressPort('tcp', 8080, 80)], { app: '10.0.1.5/24' }));
  assert.deepEqual(
    [...listeners.values()].map((l) => [l.key, [...l.routes]]),
    [
      ['tcp/0.0.0.0:8080', [['*', 'tcp/8080>80']]],
      ['tcp/10.0.1.5:80', [['10.0.1.5', 'vip/10.0.1.5:tcp/80']]],
    ],
  );
  assert.equal(routes.get('tcp/8080>80')!.port, 80);
  assert.deepEqual(routes.get('vip/10.0.1.5:tcp/80')!.backends, [{ taskId: 't1', address: '10.0.1.11' }]);
});

test('a TCP VIP port that is also published shares the wildcard listener, told apart by local address', () => {
  const web = service('web', [ingressPort('tcp', 80, 80)], { app: '10.0.1.5/24' });
  const { listeners } = layoutOf(web);
  assert.deepEqual([...listeners.keys()], ['tcp/0.0.0.0:80']);
  assert.deepEqual([...listeners.get('tcp/0.0.0.0:80')!.routes], [['*', 'tcp/80>80'], ['10.0.1.5', 'vip/10.0.1.5:tcp/80']]);
});

test('UDP VIP ports always get their own socket (a datagram does not tell its local address)', () => {
  const web = service('web', [ingressPort('udp', 53, 53)], { app: '10.0.1.5/24' });
  assert.deepEqual([...layoutOf(web).listeners.keys()], ['udp/0.0.0.0:53', 'udp/10.0.1.5:53']);
});
