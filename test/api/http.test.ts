import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { cliServiceSpec, runningTask } from '../unit/controlapi/fixture.js';
import { NODE_ID, call, startHarness, type Harness } from './harness.js';

// Raw HTTP against the server: headers, statuses and bodies as calls/*.md recorded them from dockerd.

let h: Harness;
before(async () => {
  h = await startHarness();
});
after(async () => {
  await h.close();
});

test('HEAD and GET /_ping carry the version headers the CLI negotiates with', async () => {
  const head = await call(h.socket, 'HEAD', '/_ping');
  assert.equal(head.status, 200);
  assert.equal(head.headers['api-version'], '1.41');
  assert.equal(head.headers['docker-experimental'], 'false');
  assert.equal(head.headers['ostype'], 'linux');
  assert.equal(head.headers['server'], 'Shoal/0.1.0 (linux)');
  assert.equal(head.headers['cache-control'], 'no-cache, no-store, must-revalidate');
  assert.equal(head.headers['pragma'], 'no-cache');
  assert.equal(head.headers['content-type'], 'text/plain; charset=utf-8');
  assert.equal(head.headers['content-length'], '0');
  const get = await call(h.socket, 'GET', '/_ping');
  assert.equal(get.body.toString(), 'OK');
});

test('versions: prefixed and bare paths; too new and too old refused with Docker wording', async () => {
  assert.equal((await call(h.socket, 'GET', '/v1.41/version')).json().ApiVersion, '1.41');
  assert.equal((await call(h.socket, 'GET', '/v1.24/version')).status, 200);
  assert.equal((await call(h.socket, 'GET', '/version')).status, 200);
  const tooNew = await call(h.socket, 'GET', '/v1.50/info');
  assert.equal(tooNew.status, 400);
  assert.deepEqual(tooNew.json(), { message: 'client version 1.50 is too new. Maximum supported API version is 1.41' });
  assert.equal(tooNew.headers['api-version'], '1.41');
  const tooOld = await call(h.socket, 'GET', '/v1.11/info');
  assert.match(tooOld.json().message, /^client version 1\.11 is too old\. Minimum supported API version is 1\.12/);
  const unknown = await call(h.socket, 'GET', '/v1.41/nosuch');
  assert.equal(unknown.status, 404);
  assert.deepEqual(unknown.json(), { message: 'page not found' });
});

test('errors: 404 wording, bad JSON, wrong types, content type, empty and oversized bodies', async () => {
  const missing = await call(h.socket, 'GET', '/v1.41/services/nosuch?insertDefaults=true');
  assert.equal(missing.status, 404);
  assert.equal(missing.headers['content-type'], 'application/json');
  assert.equal(missing.body.toString(), '{"message":"service nosuch not found"}\n');
  assert.equal((await call(h.socket, 'GET', '/v1.41/nodes/nosuch')).json().message, 'node nosuch not found');
  assert.equal((await call(h.socket, 'GET', '/v1.41/networks/nosuch')).json().message, 'network nosuch not found');
  const bad = await call(h.socket, 'POST', '/v1.41/services/create', '{"Name": ');
  assert.equal(bad.status, 400);
  assert.match(bad.json().message, /^invalid JSON in request body/);
  const wrongType = await call(h.socket, 'POST', '/v1.41/services/create', { ...cliServiceSpec('x'), Mode: { Replicated: { Replicas: '3' } } });
  assert.deepEqual(wrongType.json(), { message: 'json: cannot unmarshal string into Go struct field ReplicatedService.Mode.Replicated.Replicas of type uint64' });
  const negative = await call(h.socket, 'POST', '/v1.41/services/create', { ...cliServiceSpec('x'), Mode: { Replicated: { Replicas: -1 } } });
  assert.deepEqual(negative.json(), { message: 'json: cannot unmarshal number -1 into Go struct field ReplicatedService.Mode.Replicated.Replicas of type uint64' });
  const plain = await call(h.socket, 'POST', '/v1.41/services/create', JSON.stringify(cliServiceSpec('x')), { 'Content-Type': 'text/plain' });
  assert.deepEqual(plain.json(), { message: "Content-Type specified (text/plain) must be 'application/json'" });
  const empty = await call(h.socket, 'POST', '/v1.41/services/create', '');
  assert.deepEqual(empty.json(), { message: 'got EOF while reading request body' });
  const huge = await call(h.socket, 'POST', '/v1.41/secrets/create', Buffer.alloc(5 * 1024 * 1024, 0x20));
  assert.equal(huge.status, 413);
  assert.equal((await call(h.socket, 'GET', '/_ping')).status, 200);
  const version = await call(h.socket, 'POST', '/v1.41/nodes/vm/update?version=abc', { Role: 'manager', Availability: 'active' });
  assert.equal(version.json().message, `invalid node version 'abc': strconv.ParseUint: parsing "abc": invalid syntax`);
  const filter = await call(h.socket, 'GET', `/v1.41/services?filters=${encodeURIComponent('{"colour":{"red":true}}')}`);
  assert.deepEqual([filter.status, filter.json()], [400, { message: "Invalid filter 'colour'" }]);
});

test('create, update and delete answer with Docker statuses and bodies', async () => {
  const created = await call(h.socket, 'POST', '/v1.41/services/create', cliServiceSpec('helloworld'));
  assert.equal(created.status, 201);
  const id = created.json().ID as string;
  assert.match(id, /^[0-9a-z]{25}$/);
  assert.deepEqual(Object.keys(created.json()), ['ID']);
  const s = (await call(h.socket, 'GET', '/v1.41/services/helloworld?insertDefaults=false')).json();
  assert.deepEqual(s.Spec.Mode, { Replicated: { Replicas: 1 } });
  assert.equal(s.Spec.TaskTemplate.Runtime, 'container');
  assert.equal(s.SpecVersion, undefined);
  const updated = await call(h.socket, 'POST', `/v1.41/services/${id}/update?version=${s.Version.Index}`, { ...s.Spec, Mode: { Replicated: { Replicas: 2 } } });
  assert.deepEqual([updated.status, updated.json()], [200, { Warnings: null }]);
  const stale = await call(h.socket, 'POST', `/v1.41/services/${id}/update?version=${s.Version.Index}`, s.Spec);
  assert.deepEqual([stale.status, stale.json()], [500, { message: 'rpc error: code = Unknown desc = update out of sequence' }]);
  const net = await call(h.socket, 'POST', '/v1.41/networks/create', { Name: 'appnet', Driver: 'overlay', CheckDuplicate: true, Attachable: true });
  assert.equal(net.status, 201);
  assert.deepEqual(Object.keys(net.json()), ['Id', 'Warning']);
  const dup = await call(h.socket, 'POST', '/v1.41/networks/create', { Name: 'appnet', Driver: 'overlay', CheckDuplicate: true });
  assert.deepEqual([dup.status, dup.json()], [409, { message: 'network with name appnet already exists' }]);
  const listed = (await call(h.socket, 'GET', '/v1.41/networks')).json() as { Name: string; Scope: string; Labels: unknown; IPAM: { Driver: string } }[];
  const appnet = listed.find((n) => n.Name === 'appnet')!;
  assert.deepEqual([appnet.Scope, appnet.Labels, appnet.IPAM.Driver], ['swarm', null, 'default']);
  const rmNet = await call(h.socket, 'DELETE', '/v1.41/networks/appnet');
  assert.equal(rmNet.status, 204);
  const rm = await call(h.socket, 'DELETE', '/v1.41/services/helloworld');
  assert.deepEqual([rm.status, rm.headers['content-length'], rm.headers['content-type']], [200, '0', undefined]);
  const initAgain = await call(h.socket, 'POST', '/v1.41/swarm/init', { ListenAddr: '0.0.0.0:2377', AdvertiseAddr: '10.250.0.2' });
  assert.equal(initAgain.status, 503);
});

test('service list with status=true counts running and desired tasks', async () => {
  const created = (await call(h.socket, 'POST', '/v1.41/services/create', cliServiceSpec('counted', { Mode: { Replicated: { Replicas: 3 } } }))).json();
  const service = h.store.view((tx) => tx.get('services', created.ID)!);
  await h.store.update((tx) => {
    tx.create('tasks', runningTask(service.ID, 1, service));
    tx.create('tasks', runningTask(service.ID, 2, service, 'starting'));
  });
  const list = (await call(h.socket, 'GET', '/v1.41/services?status=true')).json() as { Spec: { Name: string }; ServiceStatus: unknown }[];
  assert.deepEqual(list.find((s) => s.Spec.Name === 'counted')!.ServiceStatus, { RunningTasks: 1, DesiredTasks: 3, CompletedTasks: 0 });
  const filters = encodeURIComponent(JSON.stringify({ _up_to_date: { true: true } }));
  assert.equal((await call(h.socket, 'GET', `/v1.41/tasks?filters=${filters}`)).status, 400);
});

test('logs: multiplexed frames with the swarm details prefix, no Content-Type', async () => {
  const created = (await call(h.socket, 'POST', '/v1.41/services/create', cliServiceSpec('logged'))).json();
  const service = h.store.view((tx) => tx.get('services', created.ID)!);
  const task = await h.store.update((tx) => tx.create('tasks', runningTask(service.ID, 1, service)));
  h.backend.logs.set(task.ID, [{ stream: 'stdout', timestamp: '2026-11-21T22:39:20.352934275Z', line: Buffer.from('PING 127.0.0.1\n') }]);
  const r = await call(h.socket, 'GET', '/v1.41/services/logged/logs?details=1&stderr=1&stdout=1&tail=all');
  assert.equal(r.status, 200);
  assert.equal(r.headers['content-type'], undefined);
  assert.equal(r.headers['transfer-encoding'], 'chunked');
  const payload = `com.docker.swarm.node.id=${NODE_ID},com.docker.swarm.service.id=${service.ID},com.docker.swarm.task.id=${task.ID} PING 127.0.0.1\n`;
  assert.deepEqual([...r.body.subarray(0, 8)], [1, 0, 0, 0, 0, 0, 0, payload.length]);
  assert.equal(r.body.subarray(8).toString(), payload);
  const none = await call(h.socket, 'GET', '/v1.41/services/logged/logs');
  assert.deepEqual([none.status, none.json()], [400, { message: 'Bad parameters: you must choose at least one stream' }]);
});

test('events: history with since/until, and a live stream of store changes in Docker shape', async () => {
  const since = (Date.now() - 1000) / 1000;
  await call(h.socket, 'POST', '/v1.41/secrets/create', { Name: 'evs', Data: Buffer.from('x').toString('base64') });
  const until = Date.now() / 1000 + 0.2;
  const past = await call(h.socket, 'GET', `/v1.41/events?since=${since}&until=${until.toFixed(3)}&filters=${encodeURIComponent('{"type":{"secret":true}}')}`);
  const events = past.body.toString().trim().split('\n').map((l) => JSON.parse(l));
  // The daemon opened a store that already held state: what changed before is unknown, said by a resync first.
  assert.deepEqual([events.length, events[0].Type, events[0].Action], [2, 'daemon', 'resync']);
  assert.match(events[0].Actor.Attributes.reason, /no longer kept/);
  const secret = events[1];
  assert.equal(secret.cursor, `${Math.floor((secret.timeNano + 1) / 1e9)}.${String((BigInt(past.body.toString().split('\n')[1]!.match(/"timeNano":(\d+)/)![1]!) + 1n) % 1_000_000_000n).padStart(9, '0')}`);
  assert.deepEqual({ ...secret, time: 0, timeNano: 0, cursor: '', Actor: { ...secret.Actor, ID: '' } }, {
    Type: 'secret',
    Action: 'create',
    Actor: { ID: '', Attributes: { name: 'evs' } },
    scope: 'swarm',
    time: 0,
    timeNano: 0,
    cursor: '',
  });
  // Resuming from the cursor: nothing repeated, no resync.
  const resumed = await call(h.socket, 'GET', `/v1.41/events?since=${secret.cursor}&until=${until.toFixed(3)}&filters=${encodeURIComponent('{"type":{"secret":true}}')}`);
  assert.equal(resumed.body.toString(), '');
  const live = await new Promise<Record<string, unknown>>((resolve, reject) => {
    const req = request({ socketPath: h.socket, path: '/v1.41/events?filters=' + encodeURIComponent('{"type":["node"]}') }, (res) => {
      res.once('data', (d: Buffer) => {
        resolve(JSON.parse(d.toString().split('\n')[0]!));
        req.destroy();
      });
      const node = h.store.view((tx) => tx.get('nodes', NODE_ID)!);
      void call(h.socket, 'POST', `/v1.41/nodes/vm/update?version=${node.Version.Index}`, { ...node.Spec, Availability: 'pause' });
    });
    req.on('error', reject);
    req.end();
  });
  assert.equal(live['Type'], 'node');
  assert.deepEqual((live['Actor'] as { Attributes: unknown }).Attributes, { name: 'vm', 'availability.old': 'active', 'availability.new': 'pause' });
});
