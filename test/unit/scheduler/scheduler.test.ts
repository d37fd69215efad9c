import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TaskSpec } from '../../../src/cluster/types.js';
import { nodes, serviceSpec, withHarness, type Harness } from './harness.js';

const spec = (name: string, task: TaskSpec, replicas = 1) =>
  serviceSpec(name, { Mode: { Replicated: { Replicas: replicas } }, TaskTemplate: { ContainerSpec: { Image: 'busybox:1' }, ...task } });

const placements = (h: Harness, id: string) => h.live(id).map((t) => t.NodeID ?? '-');

test('constraints choose the nodes; nothing fitting leaves the task pending with Docker\'s reason', withHarness(nodes(3), async (h) => {
  await h.editNode('n2', (n) => (n.Spec.Labels = { zone: 'a' }));
  const a = await h.createService(spec('a', { Placement: { Constraints: ['node.labels.zone==a'] } }, 2));
  assert.deepEqual(placements(h, a), ['n2', 'n2']);

  const b = await h.createService(spec('b', { Placement: { Constraints: ['node.labels.zone == b'] } }));
  const [pending] = h.live(b);
  assert.equal(pending.Status.State, 'pending');
  assert.equal(pending.Status.Err, 'no suitable node (scheduling constraints not satisfied on 3 nodes)');
  assert.equal(pending.Status.Message, 'pending task scheduling');

  await h.editNode('n1', (n) => (n.Spec.Availability = 'pause'));
  assert.equal(h.live(b)[0].Status.Err, 'no suitable node (scheduling constraints not satisfied on 2 nodes; 1 node not available for new tasks)');

  await h.editNode('n3', (n) => (n.Spec.Labels = { zone: 'b' }));
  const [placed] = h.live(b);
  assert.equal(placed.NodeID, 'n3');
  assert.equal(placed.Status.State, 'running');
  assert.equal(placed.Status.Err, undefined);
}));

test('node.role, node.hostname, node.id and != constraints', withHarness([{ id: 'm1', role: 'manager' }, { id: 'w1' }, { id: 'w2' }], async (h) => {
  const managers = await h.createService(spec('m', { Placement: { Constraints: ['node.role==manager'] } }, 2));
  assert.deepEqual(placements(h, managers), ['m1', 'm1']);
  const notW1 = await h.createService(spec('x', { Placement: { Constraints: ['node.hostname!=host-w1', 'node.role!=manager'] } }, 2));
  assert.deepEqual(placements(h, notW1), ['w2', 'w2']);
  const byId = await h.createService(spec('y', { Placement: { Constraints: ['node.id==w1'] } }));
  assert.deepEqual(placements(h, byId), ['w1']);
}));

test('no node at all, and nodes that are down, are explained', withHarness([], async (h) => {
  const id = await h.createService(spec('web', {}));
  assert.equal(h.live(id)[0].Status.Err, 'no suitable node');
  await h.addNode({ id: 'n1', state: 'down' });
  assert.equal(h.live(id)[0].Status.Err, 'no suitable node (1 node not available for new tasks)');
  await h.editNode('n1', (n) => (n.Status.State = 'ready'));
  assert.equal(h.live(id)[0].Status.State, 'running');
}));

test('reservations count against what nodes have; a stopped task frees its share', withHarness(nodes(2, { nanoCPUs: 2e9 }), async (h) => {
  const id = await h.createService(spec('big', { Resources: { Reservations: { NanoCPUs: 1e9 } } }, 5));
  assert.equal(h.running(id).size, 4);
  const waiting = h.live(id).find((t) => t.Status.State === 'pending')!;
  assert.equal(waiting.Status.Err, 'no suitable node (insufficient resources on 2 nodes)');
  await h.updateService(id, (s) => (s.Mode = { Replicated: { Replicas: 3 } }));
  await h.updateService(id, (s) => (s.Mode = { Replicated: { Replicas: 4 } }));
  assert.equal(h.running(id).size, 4);
}));

test('MaxReplicas per node and host-mode ports limit what one node takes', withHarness(nodes(2), async (h) => {
  const capped = await h.createService(spec('capped', { Placement: { MaxReplicas: 1 } }, 3));
  assert.equal(h.running(capped).size, 2);
  assert.equal(h.live(capped).find((t) => t.Status.State === 'pending')!.Status.Err, 'no suitable node (max replicas per node limit exceed)');

  const hostPort = serviceSpec('hp', { Mode: { Replicated: { Replicas: 3 } }, EndpointSpec: { Ports: [{ Protocol: 'tcp', TargetPort: 80, PublishedPort: 8080, PublishMode: 'host' }] } });
  const hp = await h.createService(hostPort);
  assert.deepEqual(new Set(placements(h, hp).filter((n) => n !== '-')), new Set(['n1', 'n2']));
  assert.equal(h.live(hp).find((t) => t.Status.State === 'pending')!.Status.Err, 'no suitable node (host-mode port already in use on 2 nodes)');
}));

test('spread: fewest tasks of the service, then fewest tasks in all', withHarness(nodes(3), async (h) => {
  const other = await h.createService(spec('other', {}, 2)); // n1, n2
  assert.deepEqual(placements(h, other), ['n1', 'n2']);
  const web = await h.createService(spec('web', {}, 1));
  assert.deepEqual(placements(h, web), ['n3'], 'the emptiest node');
  const more = await h.createService(spec('more', {}, 4));
  const count = new Map<string, number>();
  for (const n of placements(h, more)) count.set(n, (count.get(n) ?? 0) + 1);
  assert.deepEqual([...count.values()].sort(), [1, 1, 2]);
}));

test('placement preference spread=node.labels.zone balances zones, not nodes', withHarness(nodes(4), async (h) => {
  for (const [id, zone] of [['n1', 'a'], ['n2', 'a'], ['n3', 'a'], ['n4', 'b']]) await h.editNode(id, (n) => (n.Spec.Labels = { zone }));
  const id = await h.createService(spec('web', { Placement: { Preferences: [{ Spread: { SpreadDescriptor: 'node.labels.zone' } }] } }, 4));
  const onB = placements(h, id).filter((n) => n === 'n4').length;
  assert.equal(onB, 2, 'half of the tasks go to zone b, which has one node');
}));

test('thirty tasks are scheduled in one pass', withHarness(nodes(5), async (h) => {
  let passes = 0;
  h.store.watch((events) => {
    if (events.some((e) => e.table === 'tasks' && e.action === 'update' && (e.object as { Status: { State: string } }).Status.State === 'assigned')) passes++;
  });
  h.agent.outcome = () => 'hold';
  const id = await h.createService(spec('web', {}, 30));
  assert.equal(h.live(id).filter((t) => t.Status.State === 'assigned').length, 30);
  assert.equal(passes, 1, 'one transaction');
  const perNode = new Map<string, number>();
  for (const n of placements(h, id)) perNode.set(n, (perNode.get(n) ?? 0) + 1);
  assert.deepEqual([...perNode.values()], [6, 6, 6, 6, 6]);
}));
