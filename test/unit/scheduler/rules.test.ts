import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ServiceObject, TaskObject, TaskSpec } from '../../../src/cluster/types.js';
import { nodeMatches, parseConstraints } from '../../../src/scheduler/constraints.js';
import { explainFailures } from '../../../src/scheduler/filters.js';
import { NodeInfo } from '../../../src/scheduler/node-info.js';
import { isTaskDirty } from '../../../src/scheduler/orchestrator/dirty.js';
import { RestartHistory } from '../../../src/scheduler/orchestrator/restart.js';
import { pickNode } from '../../../src/scheduler/placement.js';
import { nodeObject, SECOND } from './harness.js';

const node = nodeObject({ id: 'abc', role: 'manager', labels: { zone: 'East', 'Disk.Type': 'ssd' } });
node.Description.Engine.Labels = { storage: 'fast' };
node.Status.Addr = '10.1.2.3';

const matches = (...exprs: string[]) => nodeMatches(parseConstraints(exprs), node);

test('constraints: keys, operators and case rules as in swarmkit', () => {
  assert.ok(matches('node.id==abc', 'node.hostname==host-abc', 'node.role==manager', 'node.platform.os==linux', 'node.platform.arch==x86_64'));
  assert.ok(matches('node.labels.zone==east'), 'values compare without case');
  assert.ok(matches('NODE.LABELS.zone==East'), 'the prefix is case-insensitive');
  assert.ok(!matches('node.labels.ZONE==East'), 'label names are case-sensitive');
  assert.ok(matches('node.labels.Disk.Type == ssd'));
  assert.ok(matches('node.labels.missing!=x'), 'a missing label is the empty string');
  assert.ok(!matches('node.labels.missing==x'));
  assert.ok(matches('engine.labels.storage==fast', 'node.role!=worker'));
  assert.ok(matches('node.ip==10.1.2.3', 'node.ip==10.1.0.0/16', 'node.ip!=10.2.0.0/16'));
  assert.ok(!matches('node.ip==10.2.0.0/16'));
  assert.ok(!matches('node.ip==not-an-address'));
  assert.ok(!matches('node.unknown==x'), 'an unknown key matches no node');
  assert.ok(!matches('node.role==manager', 'node.labels.zone==west'), 'all constraints must hold');
});

test('no suitable node explanations: most frequent reason first', () => {
  const explain = explainFailures(new Map([['ready', 1], ['constraints', 3], ['resources', 2]] as const));
  assert.equal(explain, 'scheduling constraints not satisfied on 3 nodes; insufficient resources on 2 nodes; 1 node not available for new tasks');
  assert.equal(explainFailures(new Map([['host-port', 1]] as const)), 'host-mode port already in use on 1 node');
  assert.equal(explainFailures(new Map()), '');
});

const service = (template: TaskSpec, version = 10): ServiceObject => ({
  ID: 's', Version: { Index: version }, CreatedAt: '', UpdatedAt: '', Spec: { Name: 's', TaskTemplate: template, Mode: {} }, SpecVersion: { Index: version }, Endpoint: { Spec: {} },
});
const task = (spec: TaskSpec, version = 5): TaskObject => ({
  ID: 't', Version: { Index: 1 }, CreatedAt: '', UpdatedAt: '', Labels: {}, Spec: spec, ServiceID: 's', Slot: 1, NodeID: 'abc',
  Status: { Timestamp: '', State: 'running', Message: '', PortStatus: {} }, DesiredState: 'running', SpecVersion: { Index: version },
});

test('dirty: only a different task spec needs a new task', () => {
  const spec: TaskSpec = { ContainerSpec: { Image: 'a:1' } };
  assert.equal(isTaskDirty(service(spec), task({ ContainerSpec: { Image: 'a:1' } })), false, 'same spec, older version (scale or UpdateConfig change)');
  assert.equal(isTaskDirty(service(spec), task({ ContainerSpec: { Image: 'a:1', Env: undefined } })), false, 'an undefined key is an absent key');
  assert.equal(isTaskDirty(service(spec), task({ ContainerSpec: { Image: 'a:2' } })), true);
  assert.equal(isTaskDirty(service({ ...spec, ForceUpdate: 1 }), task(spec)), true, '--force');
  assert.equal(isTaskDirty(service(spec, 7), task({ ContainerSpec: { Image: 'b' } }, 7)), false, 'same spec version');
  const constrained = { ...spec, Placement: { Constraints: ['node.labels.zone==east'] } };
  const before = { ...spec, Placement: { Constraints: ['node.role==manager'] } };
  assert.equal(isTaskDirty(service(constrained), task(before), node), false, 'new constraints its node satisfies');
  assert.equal(isTaskDirty(service({ ...spec, Placement: { Constraints: ['node.labels.zone==west'] } }), task(before), node), true);
});

test('restart policy: condition, MaxAttempts, Window, and a new spec version starts the count again', () => {
  const history = new RestartHistory();
  const failed = (policy: TaskSpec['RestartPolicy'], state: 'failed' | 'complete' = 'failed', version = 1): TaskObject => ({
    ...task({ RestartPolicy: policy }, version),
    Status: { Timestamp: '', State: state, Message: '', PortStatus: {} },
  });
  assert.equal(history.allows(failed({ Condition: 'none' }), 's/1', 0), false);
  assert.equal(history.allows(failed({ Condition: 'on-failure' }, 'complete'), 's/1', 0), false);
  assert.equal(history.allows(failed({ Condition: 'on-failure' }), 's/1', 0), true);
  const limited = failed({ MaxAttempts: 2, Window: 60 * SECOND });
  history.record(limited, 's/1', 1000);
  history.record(limited, 's/1', 2000);
  assert.equal(history.allows(limited, 's/1', 3000), false);
  assert.equal(history.allows(limited, 's/1', 61_500), true, 'the first restart left the window');
  assert.equal(history.allows(failed({ MaxAttempts: 2 }, 'failed', 2), 's/1', 3000), true, 'a new spec version');
  history.forgetService('s');
  assert.equal(history.allows(limited, 's/1', 3000), true);
});

test('spread picks the node with the fewest tasks of the service, then of all', () => {
  const info = (id: string, service: number, others: number, zone?: string) => {
    const i = new NodeInfo(nodeObject({ id, labels: zone ? { zone } : {} }));
    for (let n = 0; n < service; n++) i.add(task({}), []);
    for (let n = 0; n < others; n++) i.add({ ...task({}), ServiceID: 'other' }, []);
    return i;
  };
  assert.equal(pickNode([info('a', 1, 0), info('b', 0, 5), info('c', 0, 2)], 's', [])?.node.ID, 'c');
  assert.equal(pickNode([info('a', 0, 0), info('b', 0, 0)], 's', [])?.node.ID, 'a', 'ties go by node ID');
  const zoned = [info('a1', 1, 0, 'a'), info('a2', 1, 0, 'a'), info('b1', 1, 0, 'b'), info('x', 0, 0)];
  assert.equal(pickNode(zoned, 's', ['node.labels.zone'])?.node.ID, 'x', 'nodes without the label form their own branch');
  assert.equal(pickNode(zoned.slice(0, 3), 's', ['node.labels.zone'])?.node.ID, 'b1', 'the zone with fewer tasks');
  assert.equal(pickNode([], 's', []), undefined);
});
