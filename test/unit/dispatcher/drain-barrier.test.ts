import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DrainBarrier } from '../../../src/cluster/dispatcher/drain-barrier.js';
import { AppliedVersions } from '../../../src/cluster/dispatcher/table-versions.js';
import { ManualClock } from '../../../src/util/clock.js';
import { silentLogger } from '../../../src/util/logger.js';
import type { TaskObject } from '../../../src/cluster/types.js';
import { UNHEALTHY_ERR } from '../../../src/cluster/task-health.js';
import { NODE_ID, cliServiceSpec, openStore, runningTask } from '../controlapi/fixture.js';

const withAddress = (t: TaskObject): TaskObject => ({ ...t, NetworksAttachments: [{ Network: { ID: 'net1' } as never, Addresses: ['10.0.1.7/24'] }] });

test('a running task told to stop is held until every ready host applied a table that has it draining, or the deadline', async () => {
  const { store, close } = await openStore();
  try {
    const clock = new ManualClock(1000);
    // The hosts' reports, in the leader's memory: the barrier does not wait for them to reach the store.
    const applied = new AppliedVersions();
    const barrier = new DrainBarrier(clock, silentLogger, (n) => applied.applied(n), 5000);
    const svc = { Spec: cliServiceSpec('web') };
    const serving = withAddress(runningTask('svc1', 1, svc));
    const stopping: TaskObject = { ...serving, DesiredState: 'shutdown', Version: { Index: serving.Version.Index + 1 } };
    applied.report(NODE_ID, 40, 40);

    assert.equal(store.view((tx) => barrier.maySend(tx, serving, 40)), true, 'a serving task goes out at once');
    assert.equal(store.view((tx) => barrier.maySend(tx, stopping, 41)), false, 'the host has only applied table 40');
    assert.equal(barrier.nextDeadlineMs(), 5000);
    assert.equal(barrier.holding, true);
    clock.advance(1000);
    // A later table (42) does not move the bar: 41 already has the task draining.
    assert.equal(store.view((tx) => barrier.maySend(tx, stopping, 42)), false);
    applied.report(NODE_ID, 41, 42);
    assert.equal(store.view((tx) => barrier.maySend(tx, stopping, 42)), true, 'every host confirmed');
    assert.equal(barrier.nextDeadlineMs(), undefined);
    assert.equal(barrier.holding, false);
    assert.equal(store.view((tx) => tx.get('nodes', NODE_ID)!.EndpointTableVersions), undefined, 'nothing written to the store');
    assert.equal(store.view((tx) => barrier.maySend(tx, { ...stopping, Version: { Index: 99 } }, 43)), true, 'released stays released');

    // Another task: the host never confirms, the deadline lets it go.
    const other = { ...stopping, ID: 'other0000000000000000000001' };
    assert.equal(store.view((tx) => barrier.maySend(tx, other, 50)), false);
    clock.advance(4999);
    assert.equal(store.view((tx) => barrier.maySend(tx, other, 50)), false);
    clock.advance(1);
    assert.equal(store.view((tx) => barrier.maySend(tx, other, 50)), true);

    // A running task that failed its health check drains before its host hears it is to stop.
    const sick = withAddress(runningTask('svc1', 4, svc));
    const unhealthy: TaskObject = { ...sick, Status: { ...sick.Status, Err: UNHEALTHY_ERR } };
    const sickStopping: TaskObject = { ...unhealthy, DesiredState: 'shutdown' };
    assert.equal(store.view((tx) => barrier.maySend(tx, unhealthy, 70)), false, 'held from the table that has it unhealthy');
    assert.equal(store.view((tx) => barrier.maySend(tx, sickStopping, 71)), false);
    applied.report(NODE_ID, 70, 71);
    assert.equal(store.view((tx) => barrier.maySend(tx, sickStopping, 71)), true, 'the host applied the table that left it out');

    // Nothing to drain: a task without an address, or one not running yet.
    const plain = { ...runningTask('svc1', 2, svc), DesiredState: 'shutdown' as const };
    assert.equal(store.view((tx) => barrier.maySend(tx, plain, 60)), true);
    const starting = { ...withAddress(runningTask('svc1', 3, svc, 'starting')), DesiredState: 'shutdown' as const };
    assert.equal(store.view((tx) => barrier.maySend(tx, starting, 60)), true);
  } finally {
    await close();
  }
});
