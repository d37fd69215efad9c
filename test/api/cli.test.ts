import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createNetwork } from '../../src/cluster/controlapi/networks.js';
import { createService } from '../../src/cluster/controlapi/services.js';
import { mutable } from '../../src/cluster/store/index.js';
import type { ServiceObject, TaskObject } from '../../src/cluster/types.js';
import { cliServiceSpec, runningTask } from '../unit/controlapi/fixture.js';
import { NODE_ID, docker, startHarness, type Harness } from './harness.js';

// The real docker CLI (v28) against Shoal's server, over a store holding what the orchestrator,
// allocator and agent would have written for `service create --name web --replicas 3 -p 8080:80 --network appnet`.

let h: Harness;
let web: ServiceObject;
let tasks: TaskObject[];

before(async () => {
  h = await startHarness();
  const net = await h.store.update((tx) => createNetwork(tx, { Name: 'appnet', Driver: 'overlay', Attachable: true }));
  const created = await h.store.update((tx) =>
    createService(
      tx,
      cliServiceSpec('web', {
        TaskTemplate: { ContainerSpec: { Image: 'localbusybox:1', Args: ['httpd', '-f', '-p', '80'] }, Networks: [{ Target: net.ID }] },
        Mode: { Replicated: { Replicas: 3 } },
        EndpointSpec: { Mode: 'vip', Ports: [{ Protocol: 'tcp', TargetPort: 80, PublishedPort: 8080, PublishMode: 'ingress' }] },
      }),
    ),
  );
  // What the allocator adds: the endpoint's ports and VIPs.
  web = await h.store.update((tx) => {
    const s = mutable(tx.get('services', created.ID)!);
    s.Endpoint = { Spec: s.Spec.EndpointSpec!, Ports: s.Spec.EndpointSpec!.Ports, VirtualIPs: [{ NetworkID: net.ID, Addr: '10.0.1.2/24' }] };
    return tx.update('services', s);
  });
  tasks = await h.store.update((tx) => [1, 2, 3].map((slot) => tx.create('tasks', runningTask(web.ID, slot, web))));
  h.backend.logs.set(tasks[0]!.ID, [
    { stream: 'stdout', timestamp: '2026-11-21T22:39:20.352934275Z', line: Buffer.from('PING 127.0.0.1 (127.0.0.1): 56 data bytes\n') },
    { stream: 'stderr', timestamp: '2026-11-21T22:39:21.352934275Z', line: Buffer.from('64 bytes from 127.0.0.1: seq=0\n') },
  ]);
});

after(async () => {
  await h.close();
});

async function ok(args: string[], input?: string): Promise<string> {
  const r = await docker(h.socket, args, input);
  assert.equal(r.code, 0, `docker ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

test('docker version negotiates API 1.41', async () => {
  const out = await ok(['version']);
  assert.match(out, /API version:\s+1\.41 \(downgraded from 1\.\d+\)/);
  assert.match(out, /API version:\s+1\.41 \(minimum version 1\.12\)/);
});

test('docker info shows the swarm', async () => {
  const out = await ok(['info']);
  assert.match(out, /Swarm: active/);
  assert.match(out, new RegExp(`NodeID: ${NODE_ID}`));
  assert.match(out, /Is Manager: true/);
  assert.match(out, /Managers: 1\n\s+Nodes: 1/);
  assert.match(out, /Manager Addresses:\n\s+10\.250\.0\.2:2377/);
});

test('docker node ls stars this node', async () => {
  const out = await ok(['node', 'ls']);
  assert.match(out, /^ID\s+HOSTNAME\s+STATUS\s+AVAILABILITY\s+MANAGER STATUS\s+ENGINE VERSION\n/);
  assert.match(out, new RegExp(`${NODE_ID} \\*\\s+vm\\s+Ready\\s+Active\\s+Leader\\s+0\\.1\\.0`));
  assert.match(await ok(['node', 'inspect', 'self', '--pretty']), /Hostname:\s+vm/);
});

test('docker service ls, ps and inspect', async () => {
  assert.match(await ok(['service', 'ls']), new RegExp(`${web.ID.slice(0, 12)}\\s+web\\s+replicated\\s+3/3\\s+localbusybox:1\\s+\\*:8080->80/tcp`));
  const ps = await ok(['service', 'ps', 'web']);
  for (const [i, t] of tasks.entries()) assert.match(ps, new RegExp(`${t.ID.slice(0, 12)}\\s+web\\.${i + 1}\\s+localbusybox:1\\s+vm\\s+Running\\s+Running`));
  const pretty = await ok(['service', 'inspect', '--pretty', 'web']);
  assert.match(pretty, /Service Mode:\tReplicated\n Replicas:\t3/);
  assert.match(pretty, /Networks: appnet/);
  assert.match(pretty, /PublishedPort = 8080\n  Protocol = tcp\n  TargetPort = 80\n  PublishMode = ingress/);
  const [json] = JSON.parse(await ok(['service', 'inspect', 'web'])) as ServiceObject[];
  assert.equal(json!.Spec.TaskTemplate.ContainerSpec!.StopGracePeriod, 10e9);
  assert.equal(json!.Spec.UpdateConfig!.Monitor, 5e9);
});

test('docker service inspect nosuch fails like Docker', async () => {
  const r = await docker(h.socket, ['service', 'inspect', 'nosuch']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /no such service: nosuch/);
});

test('docker service logs prints name.slot.id@node | line', async () => {
  const out = await ok(['service', 'logs', 'web']);
  const name = `web.1.${tasks[0]!.ID.slice(0, 12)}@vm`;
  assert.match(out, new RegExp(`^${name.replace(/\./g, '\\.')}\\s+\\| PING 127\\.0\\.0\\.1`));
  const r = await docker(h.socket, ['service', 'logs', '--timestamps', '--tail', '1', 'web']);
  // The line went to stderr, as the task wrote it; the CLI puts the timestamp first.
  assert.match(r.stderr, /^2026-11-21T22:39:21\.352934275Z web\.1\.\w{12}@vm\s+\| 64 bytes from 127\.0\.0\.1: seq=0\n$/);
});

test('docker network ls and inspect', async () => {
  const out = await ok(['network', 'ls']);
  assert.match(out, /\s+appnet\s+overlay\s+swarm/);
  assert.match(out, /\s+ingress\s+overlay\s+swarm/);
  const [n] = JSON.parse(await ok(['network', 'inspect', 'appnet'])) as { Attachable: boolean; Scope: string }[];
  assert.equal(n!.Attachable, true);
  const r = await docker(h.socket, ['network', 'rm', 'appnet']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /is in use by service/);
});

test('docker secret and config create, ls, rm', async () => {
  const id = (await ok(['secret', 'create', 's1', '-'], 'supersecret-value')).trim();
  assert.match(id, /^[0-9a-z]{25}$/);
  assert.match(await ok(['secret', 'ls']), new RegExp(`${id}\\s+s1\\s+`));
  const [secret] = JSON.parse(await ok(['secret', 'inspect', 's1'])) as { Spec: Record<string, unknown> }[];
  assert.equal(secret!.Spec['Data'], undefined);
  const file = join(h.dir, 'c1.conf');
  writeFileSync(file, 'key=value\n');
  const cid = (await ok(['config', 'create', 'c1', file])).trim();
  assert.match(await ok(['config', 'ls']), new RegExp(`${cid}\\s+c1\\s+`));
  assert.match(await ok(['config', 'inspect', '--pretty', 'c1']), /key=value/);
  assert.equal((await ok(['secret', 'rm', 's1'])).trim(), 's1');
});

test('docker swarm join-token, swarm update, node update', async () => {
  assert.match((await ok(['swarm', 'join-token', '-q', 'worker'])).trim(), /^SWMTKN-1-[0-9a-z]{50}-[0-9a-z]{25}$/);
  assert.match(await ok(['swarm', 'join-token', '--rotate', 'manager']), /Successfully rotated manager join token/);
  assert.match(await ok(['swarm', 'update', '--task-history-limit', '10']), /Swarm updated\./);
  assert.equal((await ok(['node', 'update', '--availability', 'drain', 'vm'])).trim(), 'vm');
  assert.equal((await ok(['node', 'update', '--label-add', 'zone=a', 'vm'])).trim(), 'vm');
  assert.deepEqual(h.store.view((tx) => tx.get('nodes', NODE_ID)!.Spec), { Labels: { zone: 'a' }, Role: 'manager', Availability: 'drain' });
});

test('docker service scale, update and rollback (detached)', async () => {
  assert.match(await ok(['service', 'scale', '--detach', 'web=4']), /web scaled to 4/);
  await ok(['service', 'update', '--detach', '--update-parallelism', '2', 'web']);
  await ok(['service', 'rollback', '--detach', 'web']);
  const s = h.store.view((tx) => tx.get('services', web.ID)!);
  assert.equal(s.Spec.Mode.Replicated?.Replicas, 4);
  assert.equal(s.Spec.UpdateConfig, undefined);
  assert.equal(s.PreviousSpec?.UpdateConfig?.Parallelism, 2);
  assert.equal(s.UpdateStatus?.State, 'rollback_started');
});

test('docker stack deploy, ls, services, rm', async () => {
  const compose = join(h.dir, 'swarm.yml');
  writeFileSync(
    compose,
    'services:\n  flower:\n    image: localbusybox:1\n    command: httpd -f -p 5555\n    ports: ["5555:5555"]\n  worker:\n    image: localbusybox:1\n    command: sleep 3600\n    deploy:\n      replicas: 4\n',
  );
  await ok(['stack', 'deploy', '--detach=true', '-c', compose, 'celery']);
  assert.match(await ok(['stack', 'ls']), /celery\s+2\n/);
  const services = await ok(['stack', 'services', 'celery']);
  assert.match(services, /celery_flower\s+replicated\s+0\/1/);
  assert.match(services, /celery_worker\s+replicated\s+0\/4/);
  await ok(['stack', 'deploy', '--detach=true', '-c', compose, 'celery']);
  await ok(['stack', 'rm', 'celery']);
  assert.equal(h.store.view((tx) => tx.list('services').filter((s) => s.Spec.Name.startsWith('celery_')).length), 0);
  assert.equal(h.store.view((tx) => tx.list('networks').filter((n) => n.Spec.Name === 'celery_default').length), 0);
});

test('docker import and images', async () => {
  const id = (await ok(['import', '-', 'localbusybox:2'], 'not really a tarball')).trim();
  assert.match(id, /^sha256:[0-9a-f]{64}$/);
  assert.match(await ok(['images']), /localbusybox\s+2\s+[0-9a-f]{12}/);
});

test('outside a swarm: swarm endpoints answer 503 with Docker wording', async () => {
  const off = await startHarness({ swarm: false });
  try {
    const r = await docker(off.socket, ['node', 'ls']);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /Error response from daemon: This node is not a swarm manager\. Use "docker swarm init" or "docker swarm join" to connect this node to swarm and try again\./,
    );
    assert.match(await docker(off.socket, ['info', '--format', '{{json .Swarm}}']).then((x) => x.stdout), /"LocalNodeState":"inactive"/);
  } finally {
    await off.close();
  }
  const again = await docker(h.socket, ['swarm', 'init', '--advertise-addr', '10.250.0.2']);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /This node is already part of a swarm\. Use "docker swarm leave" to leave this swarm and join another one\./);
});
