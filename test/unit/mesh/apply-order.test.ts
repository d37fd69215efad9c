import { test } from 'node:test';
import assert from 'node:assert/strict';
import { meshFirst } from '../../../src/agent/apply-order.js';
import { ingressPort, service, table, task } from './table-fixture.js';

const web = service('web', [ingressPort('tcp', 8080, 80)], { app: '10.0.1.5/24' });
const t = (i: number, node = 'n1') => task(`t${i}`, 'web', node, { ing: `10.0.0.${10 + i}/24`, app: `10.0.1.${10 + i}/24` });

test('the mesh goes first only when the new table reaches nothing the last one did not', () => {
  const three = table([web], [t(1), t(2), t(3, 'n2')], 1);
  assert.equal(meshFirst(undefined, three), false, 'nothing applied yet: the overlay first');
  assert.equal(meshFirst(three, table([web], [t(1), t(3, 'n2')], 2)), true, 'a task gone');
  assert.equal(meshFirst(three, table([web], [t(1), { ...t(2), draining: true }, t(3, 'n2')], 2)), true, 'a task draining');
  assert.equal(meshFirst(three, table([web], [t(1), t(2), t(4)], 2)), false, 'a task added (even with one gone)');
  assert.equal(meshFirst(three, table([web], [t(1), t(2), t(3, 'n1')], 2)), false, 'an address now on another host');
  const moved = table([web], [t(1), t(2), t(3, 'n2')], 2);
  moved.nodes = moved.nodes.map((n) => (n.nodeId === 'n2' ? { ...n, addr: '192.168.0.9' } : n));
  assert.equal(meshFirst(three, moved), false, 'a host at a new underlay address');
});
