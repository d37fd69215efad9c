import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFilters } from '../../../src/cluster/controlapi/filters.js';
import { createNetwork, listNetworks, removeNetwork } from '../../../src/cluster/controlapi/networks.js';
import { createService } from '../../../src/cluster/controlapi/services.js';
import { rejects } from './assert-error.js';
import { cliServiceSpec, openStore } from './fixture.js';

test('create: overlay, swarm scope, IPAM as given, driver state left to the allocator', async () => {
  const { store, close } = await openStore();
  const n = await store.update((tx) =>
    createNetwork(tx, {
      Name: 'appnet',
      Driver: 'overlay',
      Attachable: true,
      Labels: { team: 'a' },
      IPAM: { Driver: 'default', Config: [{ Subnet: '10.9.0.0/24', Gateway: '10.9.0.1', IPRange: '10.9.0.128/25' }] },
    }),
  );
  assert.equal(n.Spec.Scope, 'swarm');
  assert.equal(n.Spec.Attachable, true);
  assert.deepEqual(n.IPAMOptions.Configs, [{ Subnet: '10.9.0.0/24', IPRange: '10.9.0.128/25', Gateway: '10.9.0.1' }]);
  assert.deepEqual(n.DriverState, { Name: 'overlay', Options: {} });
  await close();
});

test('create refuses duplicates, bad IPAM, other drivers, a second ingress', async () => {
  const { store, close } = await openStore();
  await store.update((tx) => createNetwork(tx, { Name: 'appnet' }));
  const before = store.view((tx) => tx.index);
  const cases: [Parameters<typeof createNetwork>[1], number, string | RegExp][] = [
    [{ Name: 'appnet', CheckDuplicate: true }, 409, 'network with name appnet already exists'],
    [{ Name: 'host' }, 403, 'host is a pre-defined network and cannot be created'],
    [{ Name: 'b', Driver: 'bridge' }, 400, /network driver "bridge" is not supported/],
    [{ Name: 'b', IPAM: { Config: [{ Subnet: '10.0.0.0/33' }] } }, 400, 'rpc error: code = InvalidArgument desc = ipam configuration: invalid subnet 10.0.0.0/33'],
    [
      { Name: 'b', IPAM: { Config: [{ Subnet: '10.1.0.0/24', Gateway: '10.2.0.1' }] } },
      400,
      'rpc error: code = InvalidArgument desc = ipam configuration: subnet 10.1.0.0/24 does not contain gateway 10.2.0.1',
    ],
    [{ Name: 'b', IPAM: { Config: [{ Subnet: '10.1.0.0/24', Gateway: 'x' }] } }, 400, 'rpc error: code = InvalidArgument desc = ipam configuration: invalid gateway x'],
    [{ Name: 'b', IPAM: { Config: [{ Subnet: '10.1.0.0/24', IPRange: '10.3.0.0/25' }] } }, 400, /does not contain range 10.3.0.0\/25/],
    [{ Name: 'ingress2', Ingress: true }, 409, /^rpc error: code = AlreadyExists desc = ingress network \(\w+\) is already present$/],
    [{ Name: 'bad name' }, 400, 'rpc error: code = InvalidArgument desc = name must be valid as a DNS name component'],
  ];
  for (const [req, status, message] of cases) await rejects(() => store.update((tx) => createNetwork(tx, req)), status, message);
  assert.equal(store.view((tx) => tx.index), before);
  await close();
});

test('remove: refused while a service uses it; ingress only once no service publishes ports', async () => {
  const { store, close } = await openStore();
  const net = await store.update((tx) => createNetwork(tx, { Name: 'appnet' }));
  const svc = await store.update((tx) =>
    createService(
      tx,
      cliServiceSpec('web', {
        TaskTemplate: { ContainerSpec: { Image: 'a' }, Networks: [{ Target: 'appnet' }] },
        EndpointSpec: { Ports: [{ TargetPort: 80, PublishedPort: 8080 }] },
      }),
    ),
  );
  await rejects(() => store.update((tx) => removeNetwork(tx, 'appnet')), 400, `rpc error: code = FailedPrecondition desc = network ${net.ID} is in use by service ${svc.ID}`);
  await rejects(
    () => store.update((tx) => removeNetwork(tx, 'ingress')),
    400,
    `rpc error: code = FailedPrecondition desc = ingress network cannot be removed because service ${svc.ID} depends on it`,
  );
  await store.update((tx) => tx.remove('services', svc.ID));
  await store.update((tx) => removeNetwork(tx, net.ID.slice(0, 4)));
  await store.update((tx) => removeNetwork(tx, 'ingress'));
  await rejects(() => store.update((tx) => removeNetwork(tx, 'appnet')), 404, 'network appnet not found');
  await close();
});

test('list filters: name and id as patterns, label, driver, scope, type, dangling', async () => {
  const { store, close } = await openStore();
  await store.update((tx) => createNetwork(tx, { Name: 'celery_default', Labels: { 'com.docker.stack.namespace': 'celery' } }));
  const names = (f: string): string[] => store.view((tx) => listNetworks(tx, parseFilters(f)).map((n) => n.Spec.Name).sort());
  assert.deepEqual(names('{"label":{"com.docker.stack.namespace=celery":true}}'), ['celery_default']);
  assert.deepEqual(names('{"name":{"^ing":true}}'), ['ingress']);
  assert.deepEqual(names('{"driver":{"overlay":true},"scope":{"swarm":true}}'), ['celery_default', 'ingress']);
  assert.deepEqual(names('{"type":{"builtin":true}}'), []);
  assert.deepEqual(names('{"dangling":{"true":true}}'), ['celery_default', 'ingress']);
  await rejects(() => names('{"type":{"odd":true}}'), 400, "Invalid filter: 'type'='odd'");
  await close();
});
