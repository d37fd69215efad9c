import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFilters } from '../../../src/cluster/controlapi/filters.js';
import { listNodes, removeNode, updateNode } from '../../../src/cluster/controlapi/nodes.js';
import { createService, updateService } from '../../../src/cluster/controlapi/services.js';
import { getCluster, updateSwarm } from '../../../src/cluster/controlapi/swarm.js';
import { listTasks } from '../../../src/cluster/controlapi/tasks.js';
import { parseJoinToken } from '../../../src/cluster/membership/join-token.js';
import type { NodeObject } from '../../../src/cluster/types.js';
import { rejects } from './assert-error.js';
import { NODE_ID, cliServiceSpec, openStore, runningTask } from './fixture.js';
import { checkExternalCAs, plannedRootCA } from '../../../src/cluster/controlapi/ca-config.js';

const noRotation = { workerToken: false, managerToken: false, unlockKey: false };

test('node update: availability and labels with the current version; the last manager stays one', async () => {
  const { store, close } = await openStore();
  const node = store.view((tx) => tx.get('nodes', NODE_ID)!);
  await rejects(
    () => store.update((tx) => updateNode(tx, 'vm', node.Version.Index, { Labels: {}, Role: 'manager', Availability: 'asleep' as 'active' })),
    400,
    'invalid Availability: "asleep"',
  );
  const drained = await store.update((tx) => updateNode(tx, 'vm', node.Version.Index, { Labels: { zone: 'a' }, Role: 'manager', Availability: 'drain' }));
  assert.deepEqual(drained.Spec, { Labels: { zone: 'a' }, Role: 'manager', Availability: 'drain' });
  await rejects(
    () => store.update((tx) => updateNode(tx, NODE_ID, node.Version.Index, { Labels: {}, Role: 'manager', Availability: 'active' })),
    500,
    'rpc error: code = Unknown desc = update out of sequence',
  );
  await rejects(
    () => store.update((tx) => updateNode(tx, NODE_ID, drained.Version.Index, { Labels: {}, Role: 'worker', Availability: 'active' })),
    400,
    'rpc error: code = FailedPrecondition desc = attempting to demote the last manager of the swarm',
  );
  await close();
});

test('node update: a status change since the read does not make it stale; a spec change does', async () => {
  const { store, close } = await openStore();
  const read = store.view((tx) => tx.get('nodes', NODE_ID)!);
  // A heartbeat or a new leader rewrites the node's status after the operator read it.
  await store.update((tx) => {
    const n = structuredClone(tx.get('nodes', NODE_ID)!);
    n.Status = { ...n.Status, Message: 'heartbeat' };
    tx.update('nodes', n);
  });
  const labelled = await store.update((tx) => updateNode(tx, NODE_ID, read.Version.Index, { Labels: { zone: 'a' }, Role: 'manager', Availability: 'active' }));
  assert.deepEqual([labelled.Spec.Labels, labelled.Status.Message], [{ zone: 'a' }, 'heartbeat']);
  // The earlier read is now older than the operator's own change: refused.
  await rejects(
    () => store.update((tx) => updateNode(tx, NODE_ID, read.Version.Index, { Labels: {}, Role: 'manager', Availability: 'drain' })),
    500,
    'rpc error: code = Unknown desc = update out of sequence',
  );
  // A version the node never had is refused too.
  await rejects(
    () => store.update((tx) => updateNode(tx, NODE_ID, labelled.Version.Index + 5, { Labels: {}, Role: 'manager', Availability: 'drain' })),
    500,
    'rpc error: code = Unknown desc = update out of sequence',
  );
  await close();
});

test('node remove: never a manager, an up worker only with force; node filters', async () => {
  const { store, close } = await openStore();
  const worker: NodeObject = {
    ...structuredClone(store.view((tx) => tx.get('nodes', NODE_ID)!)),
    ID: 'w0rker00000000000000000000'.slice(0, 25),
    Spec: { Labels: { zone: 'b' }, Role: 'worker', Availability: 'active' },
  };
  delete worker.ManagerStatus;
  worker.Description = { ...worker.Description, Hostname: 'worker1' };
  await store.update((tx) => tx.create('nodes', worker));
  const names = (f: string): string[] => store.view((tx) => listNodes(tx, parseFilters(f)).map((n) => n.Description.Hostname).sort());
  assert.deepEqual(names('{"role":{"worker":true}}'), ['worker1']);
  assert.deepEqual(names('{"node.label":{"zone=b":true}}'), ['worker1']);
  assert.deepEqual(names('{"name":{"vm":true}}'), ['vm']);
  assert.deepEqual(names('{"membership":{"pending":true}}'), []);
  await rejects(() => names('{"role":{"boss":true}}'), 400, "Invalid role filter: 'boss'");
  await rejects(
    () => store.update((tx) => removeNode(tx, 'vm', true)),
    400,
    `rpc error: code = FailedPrecondition desc = node ${NODE_ID} is a cluster manager and is a member of the raft cluster. It must be demoted to worker before removal`,
  );
  await rejects(() => store.update((tx) => removeNode(tx, 'worker1', false)), 400, `rpc error: code = FailedPrecondition desc = node ${worker.ID} is not down and can't be removed`);
  await store.update((tx) => removeNode(tx, 'worker1', true));
  await rejects(() => store.update((tx) => removeNode(tx, 'worker1', true)), 404, 'node worker1 not found');
  await close();
});

test('swarm update: version, zero fields keep their value, token rotation keeps the CA digest, autolock key', async () => {
  const { store, close } = await openStore();
  const c = store.view(getCluster);
  await rejects(() => store.update((tx) => updateSwarm(tx, c.Version.Index + 1, {}, noRotation)), 500, 'rpc error: code = Unknown desc = update out of sequence');
  await rejects(() => store.update((tx) => updateSwarm(tx, c.Version.Index, { Name: 'other' }, noRotation)), 400, 'swarm spec must be named "default"');
  const u = await store.update((tx) =>
    updateSwarm(tx, c.Version.Index, { Orchestration: { TaskHistoryRetentionLimit: 10 }, Raft: { ElectionTick: 0, HeartbeatTick: 0 } as never }, { ...noRotation, managerToken: true }),
  );
  assert.equal(u.Spec.Orchestration.TaskHistoryRetentionLimit, 10);
  assert.equal(u.Spec.Raft.ElectionTick, 10);
  assert.equal(u.JoinTokens.Worker, c.JoinTokens.Worker);
  assert.notEqual(u.JoinTokens.Manager, c.JoinTokens.Manager);
  assert.equal(parseJoinToken(u.JoinTokens.Manager).caDigest, parseJoinToken(c.JoinTokens.Manager).caDigest);
  const locked = await store.update((tx) => updateSwarm(tx, u.Version.Index, { EncryptionConfig: { AutoLockManagers: true } }, noRotation));
  assert.match(locked.UnlockKey ?? '', /^SWMKEY-1-[A-Za-z0-9+/]{43}$/);
  await rejects(
    () => store.update((tx) => updateSwarm(tx, locked.Version.Index, { CAConfig: { NodeCertExpiry: 60e9 } }, noRotation)),
    400,
    'rpc error: code = InvalidArgument desc = minimum certificate expiry time is: 1h0m0s',
  );
  // swarm ca --rotate: the planned root CA is kept, and the swarm shows the rotation and the issuer it wants.
  const planned = (await plannedRootCA(locked.RootCA!, { ForceRotate: 1 }, undefined))!;
  const rotating = await store.update((tx) => updateSwarm(tx, locked.Version.Index, { CAConfig: { NodeCertExpiry: 7_776_000_000_000_000, ForceRotate: 1 } }, noRotation, planned));
  assert.equal(rotating.RootRotationInProgress, true);
  assert.equal(rotating.Spec.CAConfig.ForceRotate, 1);
  assert.equal(rotating.TLSInfo.TrustRoot, locked.TLSInfo.TrustRoot, 'the old root is trusted until every node rotated');
  assert.notEqual(rotating.TLSInfo.CertIssuerPublicKey, locked.TLSInfo.CertIssuerPublicKey, 'nodes should get certificates from the new root');
  assert.throws(() => checkExternalCAs([{ Protocol: 'acme', URL: 'https://ca' }]), /protocol "acme" is not supported: use protocol=cfssl/);
  assert.throws(() => checkExternalCAs([{ Protocol: 'cfssl', URL: 'http://ca:8888' }]), /must be https/);
  await close();
});

test('task filters: service by name, node, desired-state, label of the service, _up-to-date', async () => {
  const { store, close } = await openStore();
  const s = await store.update((tx) => createService(tx, cliServiceSpec('web', { Labels: { stack: 'x' }, Mode: { Replicated: { Replicas: 2 } } })));
  await store.update((tx) => {
    tx.create('tasks', runningTask(s.ID, 1, s));
    tx.create('tasks', runningTask(s.ID, 2, s));
  });
  const spec = cliServiceSpec('web', { Labels: { stack: 'x' }, Mode: { Replicated: { Replicas: 2 } } });
  spec.TaskTemplate.ContainerSpec!.Image = 'localbusybox:2';
  const u = await store.update((tx) => updateService(tx, 'web', s.Version.Index, spec, { rollback: false, now: '' }));
  await store.update((tx) => tx.create('tasks', runningTask(s.ID, 1, u)));
  const count = (f: string): number => store.view((tx) => listTasks(tx, parseFilters(f)).length);
  assert.equal(count('{"service":{"web":true}}'), 3);
  assert.equal(count(`{"service":{"${s.ID}":true},"_up-to-date":{"true":true}}`), 1);
  assert.equal(count('{"node":{"vm":true},"desired-state":{"running":true}}'), 3);
  assert.equal(count('{"label":{"stack=x":true}}'), 3);
  assert.equal(count('{"name":{"web.1":true}}'), 2);
  await rejects(() => count('{"service":{"nosuch":true}}'), 404, 'service nosuch not found');
  await rejects(() => count('{"desired-state":{"dancing":true}}'), 400, "Invalid desired-state filter: 'dancing'");
  await close();
});
