import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createNetwork } from '../../../src/cluster/controlapi/networks.js';
import { createSecret } from '../../../src/cluster/controlapi/secrets.js';
import { withServiceDefaults } from '../../../src/cluster/controlapi/service-defaults.js';
import { createService, listServices, removeService, updateService } from '../../../src/cluster/controlapi/services.js';
import { parseFilters } from '../../../src/cluster/controlapi/filters.js';
import { serviceStatus } from '../../../src/cluster/controlapi/service-status.js';
import { shapeService } from '../../../src/api/shape/service.js';
import type { ServiceSpec, TaskState } from '../../../src/cluster/types.js';
import { rejects } from './assert-error.js';
import { cliServiceSpec, openStore, runningTask } from './fixture.js';

const now = '2026-11-21T22:39:13.643687154Z';

test('create stores the spec as dockerd does: one replica by default, Isolation, Runtime, SpecVersion', async () => {
  const { store, close } = await openStore();
  const s = await store.update((tx) => createService(tx, cliServiceSpec('helloworld')));
  assert.deepEqual(s.Spec.Mode, { Replicated: { Replicas: 1 } });
  assert.equal(s.Spec.TaskTemplate.ContainerSpec?.Isolation, 'default');
  assert.equal(s.Spec.TaskTemplate.Runtime, 'container');
  assert.deepEqual(s.Spec.EndpointSpec, { Mode: 'vip' });
  assert.deepEqual(s.Endpoint, { Spec: {} });
  assert.equal(s.SpecVersion?.Index, s.Version.Index);
  // insertDefaults: what `docker service inspect` shows (calls/service-inspect.md).
  const d = withServiceDefaults(s.Spec);
  assert.equal(d.TaskTemplate.ContainerSpec?.StopGracePeriod, 10e9);
  assert.deepEqual(d.TaskTemplate.RestartPolicy, { Condition: 'any', Delay: 5e9, MaxAttempts: 0 });
  assert.deepEqual(d.UpdateConfig, { Parallelism: 1, FailureAction: 'pause', Monitor: 5e9, MaxFailureRatio: 0, Order: 'stop-first' });
  assert.deepEqual(d.RollbackConfig, d.UpdateConfig);
  await close();
});

test('create refuses what Docker refuses, and leaves the store unchanged', async () => {
  const { store, close } = await openStore();
  await store.update((tx) => createService(tx, cliServiceSpec('web')));
  const before = store.view((tx) => tx.index);
  const cases: [Partial<ServiceSpec>, number, string | RegExp][] = [
    [{ Name: 'web' }, 409, 'rpc error: code = AlreadyExists desc = name conflicts with an existing object: service web already exists'],
    [{ Name: '-bad' }, 400, 'rpc error: code = InvalidArgument desc = name must be valid as a DNS name component'],
    [{ Name: 'a'.repeat(64) }, 400, 'rpc error: code = InvalidArgument desc = name must be 63 characters or fewer'],
    [{ Mode: { Replicated: { Replicas: -1 } } }, 400, 'rpc error: code = InvalidArgument desc = Number of replicas must be non-negative'],
    [{ Mode: { Global: {}, Replicated: { Replicas: 2 } } }, 400, 'must specify only one service mode'],
    [
      { EndpointSpec: { Mode: 'dnsrr', Ports: [{ TargetPort: 80, PublishedPort: 8080 }] } },
      400,
      "rpc error: code = InvalidArgument desc = EndpointSpec: port published with ingress mode can't be used with dnsrr mode",
    ],
    [
      { EndpointSpec: { Ports: [{ TargetPort: 80, PublishedPort: 8080 }, { TargetPort: 81, PublishedPort: 8080 }] } },
      400,
      'rpc error: code = InvalidArgument desc = EndpointSpec: duplicate published ports provided',
    ],
    [{ EndpointSpec: { Mode: 'vip2' as 'vip' } }, 400, /invalid EndpointSpec.Mode "vip2"/],
    [{ TaskTemplate: { ContainerSpec: { Image: '' } } }, 400, 'rpc error: code = InvalidArgument desc = ContainerSpec: image reference must be provided'],
    [{ TaskTemplate: { ContainerSpec: { Image: 'UPPER:1' } } }, 400, 'rpc error: code = InvalidArgument desc = ContainerSpec: "UPPER:1" is not a valid repository/tag'],
    [{ TaskTemplate: {} }, 400, 'rpc error: code = InvalidArgument desc = TaskSpec: missing runtime'],
    [{ TaskTemplate: { ContainerSpec: { Image: 'a' }, Networks: [{ Target: 'nosuch' }] } }, 404, 'network nosuch not found'],
    [{ TaskTemplate: { ContainerSpec: { Image: 'a' }, Networks: [{ Target: 'host' }] } }, 403, /The network host cannot be used with services/],
    [{ TaskTemplate: { ContainerSpec: { Image: 'a' }, Networks: [{ Target: 'ingress' }] } }, 400, /explicitly attached to the ingress network "ingress"/],
    [{ TaskTemplate: { ContainerSpec: { Image: 'a' }, Placement: { Constraints: ['node.role'] } } }, 400, /constraint expected one operator from ==, !=/],
    [{ TaskTemplate: { ContainerSpec: { Image: 'a' }, RestartPolicy: { Condition: 'sometimes' as 'any' } } }, 400, 'invalid RestartCondition: "sometimes"'],
    [
      { TaskTemplate: { ContainerSpec: { Image: 'a', Secrets: [{ SecretID: 'x', SecretName: 's1', File: { Name: 's1', UID: '0', GID: '0', Mode: 292 } }] } } },
      400,
      'rpc error: code = InvalidArgument desc = secret not found: s1',
    ],
    [{ UpdateConfig: { FailureAction: 'explode' as 'pause' } }, 400, 'unrecognized update failure action explode'],
    // A check with nothing to run would leave the task starting forever.
    [{ TaskTemplate: { ContainerSpec: { Image: 'a', HealthCheck: { Test: ['CMD'] } } } }, 400, /InvalidArgument desc = ContainerSpec: HealthConfig Test \["CMD"\] has no command: give the command after "CMD"/],
    [{ TaskTemplate: { ContainerSpec: { Image: 'a', HealthCheck: { Test: ['CMD-SHELL', ' '] } } } }, 400, /HealthConfig Test \["CMD-SHELL"\] has no command/],
    // Client-IP affinity (shoal.affinity.<published port>=<duration>).
    [
      { Labels: { 'shoal.affinity.8080': '10x' }, EndpointSpec: { Ports: [{ TargetPort: 80, PublishedPort: 8080 }] } },
      400,
      'rpc error: code = InvalidArgument desc = invalid label shoal.affinity.8080=10x: "10x" is not a duration: use a number and a unit s, m or h, e.g. 30s, 10m, 1h30m',
    ],
    [
      { Labels: { 'shoal.affinity.9090': '10m' }, EndpointSpec: { Ports: [{ TargetPort: 80, PublishedPort: 8080 }] } },
      400,
      'rpc error: code = InvalidArgument desc = invalid label shoal.affinity.9090: the service publishes no port 9090; label a published port (8080) or remove the label',
    ],
    [{ Labels: { 'shoal.affinity.80': '1m' } }, 400, /the service publishes no port 80; label a published port \(none published: add -p <port>:<target port>\)/],
  ];
  for (const [extra, status, message] of cases) {
    const spec = cliServiceSpec('web2', extra);
    if (extra.Name) spec.Name = extra.Name;
    await rejects(() => store.update((tx) => createService(tx, spec)), status, message);
  }
  assert.equal(store.view((tx) => tx.index), before);
  await close();
});

test('networks are resolved to IDs; published ports conflict across services; ingress is required', async () => {
  const { store, close } = await openStore();
  const net = await store.update((tx) => createNetwork(tx, { Name: 'appnet', Driver: 'overlay', Attachable: true }));
  const web = await store.update((tx) =>
    createService(
      tx,
      cliServiceSpec('web', {
        TaskTemplate: { ContainerSpec: { Image: 'localbusybox:1' }, Networks: [{ Target: 'appnet' }] },
        EndpointSpec: { Mode: 'vip', Ports: [{ Protocol: 'tcp', TargetPort: 80, PublishedPort: 8080, PublishMode: 'ingress' }] },
      }),
    ),
  );
  assert.deepEqual(web.Spec.TaskTemplate.Networks, [{ Target: net.ID }]);
  await rejects(
    () => store.update((tx) => createService(tx, cliServiceSpec('other', { EndpointSpec: { Ports: [{ TargetPort: 1, PublishedPort: 8080 }] } }))),
    400,
    `rpc error: code = InvalidArgument desc = port '8080' is already in use by service 'web' (${web.ID}) as an ingress port`,
  );
  // Ports the hosts use themselves cannot be published: SSH, the cluster port, VXLAN, the Engine API.
  for (const [port, protocol, user] of [[22, 'tcp', 'SSH'], [2377, 'tcp', "the managers' cluster port"], [4789, 'udp', 'the overlay'], [2376, 'tcp', 'the Engine API']] as const) {
    await rejects(
      () => store.update((tx) => createService(tx, cliServiceSpec('reserved', { EndpointSpec: { Ports: [{ TargetPort: 80, PublishedPort: port, Protocol: protocol }] } }))),
      400,
      new RegExp(`InvalidArgument desc = port ${port}/${protocol} cannot be published: every host uses it for ${user}`),
    );
  }
  await store.update((tx) => createService(tx, cliServiceSpec('vxlan-tcp', { EndpointSpec: { Ports: [{ TargetPort: 80, PublishedPort: 4789, Protocol: 'tcp' }] } })));
  // Without an ingress network, a routing-mesh port cannot be published.
  const bare = await openStore({ swarm: false });
  await rejects(
    () => bare.store.update((tx) => createService(tx, cliServiceSpec('p', { EndpointSpec: { Ports: [{ TargetPort: 1, PublishedPort: 1 }] } }))),
    400,
    'rpc error: code = FailedPrecondition desc = service needs ingress network, but no ingress network is present',
  );
  await bare.close();
  await close();
});

test('update: version checked, PreviousSpec kept, rollback swaps, mode and name fixed', async () => {
  const { store, close } = await openStore();
  const s = await store.update((tx) => createService(tx, cliServiceSpec('web', { Mode: { Replicated: { Replicas: 3 } } })));
  const scaled = cliServiceSpec('web', { Mode: { Replicated: { Replicas: 4 } } });
  await rejects(
    () => store.update((tx) => updateService(tx, 'web', s.Version.Index - 1, scaled, { rollback: false, now })),
    500,
    'rpc error: code = Unknown desc = update out of sequence',
  );
  await rejects(
    () => store.update((tx) => updateService(tx, 'web', s.Version.Index, cliServiceSpec('web', { TaskTemplate: { ContainerSpec: { Image: 'a', HealthCheck: { Test: ['CMD'] } } } }), { rollback: false, now })),
    400,
    /HealthConfig Test \["CMD"\] has no command/,
  );
  const u = await store.update((tx) => updateService(tx, 'web', s.Version.Index, scaled, { rollback: false, now }));
  assert.equal(u.Spec.Mode.Replicated?.Replicas, 4);
  assert.equal(u.PreviousSpec?.Mode.Replicated?.Replicas, 3);
  assert.ok(u.SpecVersion!.Index > s.SpecVersion!.Index);
  const r = await store.update((tx) => updateService(tx, u.ID, u.Version.Index, scaled, { rollback: true, now }));
  assert.equal(r.Spec.Mode.Replicated?.Replicas, 3);
  assert.equal(r.PreviousSpec?.Mode.Replicated?.Replicas, 4);
  assert.deepEqual(r.UpdateStatus, { State: 'rollback_started', StartedAt: now, Message: 'manually requested rollback' });
  await rejects(
    () => store.update((tx) => updateService(tx, 'web', r.Version.Index, cliServiceSpec('web', { Mode: { Global: {} } }), { rollback: false, now })),
    501,
    'rpc error: code = Unimplemented desc = service mode change is not allowed',
  );
  await rejects(
    () => store.update((tx) => updateService(tx, 'web', r.Version.Index, cliServiceSpec('web2'), { rollback: false, now })),
    501,
    'rpc error: code = Unimplemented desc = renaming services is not supported',
  );
  const fresh = await store.update((tx) => createService(tx, cliServiceSpec('fresh')));
  await rejects(
    () => store.update((tx) => updateService(tx, 'fresh', fresh.Version.Index, cliServiceSpec('fresh'), { rollback: true, now })),
    400,
    `rpc error: code = FailedPrecondition desc = service ${fresh.ID} does not have a previous spec`,
  );
  await close();
});

test('remove by name or ID prefix; list filters by id, name prefix, label and mode', async () => {
  const { store, close } = await openStore();
  const a = await store.update((tx) => createService(tx, cliServiceSpec('web', { Labels: { 'com.docker.stack.namespace': 'celery' } })));
  await store.update((tx) => createService(tx, cliServiceSpec('webapp', { Mode: { Global: {} } })));
  await store.update((tx) => createService(tx, cliServiceSpec('db')));
  const names = (f: string): string[] => store.view((tx) => listServices(tx, parseFilters(f)).map((s) => s.Spec.Name).sort());
  assert.deepEqual(names('{"name":{"web":true}}'), ['web', 'webapp']);
  assert.deepEqual(names('{"label":{"com.docker.stack.namespace=celery":true}}'), ['web']);
  assert.deepEqual(names('{"label":{"com.docker.stack.namespace":true}}'), ['web']);
  assert.deepEqual(names('{"mode":{"global":true}}'), ['webapp']);
  assert.deepEqual(names(`{"id":["${a.ID.slice(0, 5)}"]}`), ['web']);
  await rejects(() => names('{"nosuch":{"x":true}}'), 400, "Invalid filter 'nosuch'");
  await store.update((tx) => removeService(tx, a.ID.slice(0, 6)));
  await rejects(() => store.update((tx) => removeService(tx, 'web')), 404, 'service web not found');
  await close();
});

test('a service without a name gets a random one', async () => {
  const { store, close } = await openStore();
  const s = await store.update((tx) => createService(tx, { ...cliServiceSpec(''), Name: '' }));
  assert.match(s.Spec.Name, /^[a-z]+_[a-z]+$/);
  await close();
});

test('a secret the spec names must exist by ID and name', async () => {
  const { store, close } = await openStore();
  const secret = await store.update((tx) => createSecret(tx, 'secrets', { Name: 's1', Labels: {}, Data: Buffer.from('x').toString('base64') }));
  const ref = { SecretID: secret.ID, SecretName: 's1', File: { Name: 's1', UID: '0', GID: '0', Mode: 292 } };
  await store.update((tx) => createService(tx, cliServiceSpec('withsecrets', { TaskTemplate: { ContainerSpec: { Image: 'a', Secrets: [ref] } } })));
  await rejects(
    () =>
      store.update((tx) =>
        createService(tx, cliServiceSpec('dup', { TaskTemplate: { ContainerSpec: { Image: 'a', Secrets: [ref, { ...ref }] } } })),
      ),
    400,
    "rpc error: code = InvalidArgument desc = secret references 's1' and 's1' have a conflicting target: 's1'",
  );
  await close();
});

test('service status counts as swarmkit does: global jobs want the tasks not yet completed, replicated jobs MaxConcurrent', async () => {
  const { store, close } = await openStore();
  const statusOf = (name: string, mode: ServiceSpec['Mode'], states: TaskState[]) =>
    store.update((tx) => {
      const service = createService(tx, cliServiceSpec(name, { Mode: mode }));
      states.forEach((state, i) => tx.create('tasks', runningTask(service.ID, i + 1, service, state)));
      return serviceStatus(tx, tx.get('services', service.ID)!);
    });
  // docker service ls prints a global job as running/desired (completed/desired+completed completed).
  assert.deepEqual(await statusOf('gjob', { GlobalJob: {} }, ['running', 'complete', 'complete']), { RunningTasks: 1, DesiredTasks: 1, CompletedTasks: 2 });
  assert.deepEqual(await statusOf('gjob-done', { GlobalJob: {} }, ['complete', 'complete', 'complete']), { RunningTasks: 0, DesiredTasks: 0, CompletedTasks: 3 });
  assert.deepEqual(await statusOf('rjob', { ReplicatedJob: { MaxConcurrent: 2, TotalCompletions: 5 } }, ['running', 'complete']), { RunningTasks: 1, DesiredTasks: 2, CompletedTasks: 1 });
  assert.deepEqual(await statusOf('glob', { Global: {} }, ['running', 'starting']), { RunningTasks: 1, DesiredTasks: 2, CompletedTasks: 0 });
  // A job run again (service update: a new spec version) counts only the tasks of the new run.
  const rerun = await store.update((tx) => {
    const s = tx.find('services', 'name', 'gjob-done')[0]!;
    const next = updateService(tx, s.ID, s.Version.Index, { ...s.Spec, Labels: { run: '2' } }, { rollback: false, now });
    tx.create('tasks', runningTask(next.ID, 9, next, 'running'));
    return serviceStatus(tx, tx.get('services', next.ID)!);
  });
  assert.deepEqual(rerun, { RunningTasks: 1, DesiredTasks: 1, CompletedTasks: 0 });
  await close();
});

test('registry credentials (--with-registry-auth) are kept in PullOptions, carried over by updates, and never shown', async () => {
  const { store, close } = await openStore();
  const authOf = (s: { Spec: ServiceSpec }) => s.Spec.TaskTemplate.ContainerSpec?.PullOptions?.RegistryAuth;
  const created = await store.update((tx) => createService(tx, cliServiceSpec('private'), 'eyJ1c2VybmFtZSI6ImFsaWNlIn0='));
  assert.equal(authOf(created), 'eyJ1c2VybmFtZSI6ImFsaWNlIn0=');
  const spec = cliServiceSpec('private', { Labels: { v: '2' } });
  // Without the header the update keeps the current credentials (registryAuthFrom=spec, the default)...
  const kept = await store.update((tx) => updateService(tx, 'private', created.Version.Index, spec, { rollback: false, now }));
  assert.equal(authOf(kept), 'eyJ1c2VybmFtZSI6ImFsaWNlIn0=');
  // ...a new header replaces them, and previous-spec takes the previous spec's.
  const replaced = await store.update((tx) => updateService(tx, 'private', kept.Version.Index, spec, { rollback: false, now, registryAuth: 'bmV3' }));
  assert.equal(authOf(replaced), 'bmV3');
  const back = await store.update((tx) => updateService(tx, 'private', replaced.Version.Index, spec, { rollback: false, now, registryAuthFrom: 'previous-spec' }));
  assert.equal(authOf(back), 'eyJ1c2VybmFtZSI6ImFsaWNlIn0=');
  const shown = JSON.stringify(shapeService(back, { insertDefaults: true }));
  assert.doesNotMatch(shown, /PullOptions|RegistryAuth|eyJ1c2VybmFtZSI6ImFsaWNlIn0=|bmV3/);
  const plain = await store.update((tx) => createService(tx, cliServiceSpec('public')));
  assert.equal(plain.Spec.TaskTemplate.ContainerSpec?.PullOptions, undefined);
  await close();
});
