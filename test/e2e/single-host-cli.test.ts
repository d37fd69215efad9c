import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLab, waitUntil, type Lab } from '../lab/index.js';
import { ShoaldInHost } from './shoald-harness.js';
import { exec } from '../../src/util/exec.js';

// The seed walkthroughs on one host, driven by the real docker CLI against shoald's socket.
let lab: Lab;
let shoald: ShoaldInHost;
let failed = false;

before(async () => {
  lab = await createLab({ hosts: 1 });
  shoald = new ShoaldInHost(lab, 'h1', ['--advertise-addr', lab.host('h1').address]);
  await shoald.start();
});

after(async () => {
  if (failed) lab.dumpLogs();
  await lab.destroy();
});

const docker = async (...args: string[]) => {
  try {
    return (await shoald.docker(args)).stdout;
  } catch (err) {
    failed = true;
    throw err;
  }
};
const dockerFails = async (...args: string[]) => {
  const res = await shoald.docker(args, { allowFail: true });
  assert.notEqual(res.code, 0, `docker ${args.join(' ')} should fail`);
  return res.stderr;
};

test('before a swarm: node ls says how to make one', async () => {
  const err = await dockerFails('node', 'ls');
  assert.match(err, /This node is not a swarm manager\. Use "docker swarm init"/);
  assert.match(await docker('info', '--format', '{{.Swarm.LocalNodeState}}'), /inactive/);
});

test('swarm init, join tokens, rotation, swarm update', async () => {
  const out = await docker('swarm', 'init', '--advertise-addr', lab.host('h1').address);
  assert.match(out, /Swarm initialized: current node \([0-9a-z]{25}\) is now a manager/);
  assert.match(out, new RegExp(`docker swarm join --token SWMTKN-1-[0-9a-z]{50}-[0-9a-z]{25} ${lab.host('h1').address.replace(/\./g, '\\.')}:2377`));
  assert.match(await dockerFails('swarm', 'init'), /This node is already part of a swarm/);

  const info = await docker('info');
  assert.match(info, /Swarm: active/);
  assert.match(info, /Is Manager: true/);
  assert.match(info, /Managers: 1/);
  assert.match(info, /Nodes: 1/);

  const worker = (await docker('swarm', 'join-token', '-q', 'worker')).trim();
  assert.match(worker, /^SWMTKN-1-[0-9a-z]{50}-[0-9a-z]{25}$/);
  assert.match(await docker('swarm', 'join-token', 'worker'), /To add a worker to this swarm, run the following command:/);
  const manager = (await docker('swarm', 'join-token', '-q', 'manager')).trim();
  const rotated = await docker('swarm', 'join-token', '--rotate', 'manager');
  assert.match(rotated, /Successfully rotated manager join token\./);
  const after = (await docker('swarm', 'join-token', '-q', 'manager')).trim();
  assert.notEqual(after, manager);
  assert.equal(after.split('-')[2], manager.split('-')[2], 'rotation keeps the CA digest');
  assert.equal((await docker('swarm', 'join-token', '-q', 'worker')).trim(), worker, 'the worker token is untouched');

  assert.match(await docker('swarm', 'update', '--task-history-limit', '10'), /Swarm updated\./);

  const shoalInfo = await exec(process.execPath, ['bin/shoal', '-H', `unix://${shoald.socket}`, 'info']);
  assert.match(shoalInfo.stdout, / Swarm: active\n  NodeID: [0-9a-z]{25}\n  Is Manager: true/, 'shoal info is laid out as docker info');
  assert.match(await docker('info', '--format', '{{.Swarm.Cluster.Spec.Orchestration.TaskHistoryRetentionLimit}}'), /^10/);
});

test('node ls, inspect self, availability and labels', async () => {
  const ls = await docker('node', 'ls');
  assert.match(ls, /ID\s+HOSTNAME\s+STATUS\s+AVAILABILITY\s+MANAGER STATUS\s+ENGINE VERSION/);
  assert.match(ls, /[0-9a-z]{25} \*\s+h1\s+Ready\s+Active\s+Leader/);
  const pretty = await docker('node', 'inspect', 'self', '--pretty');
  assert.match(pretty, /Hostname:\s+h1/);
  assert.match(pretty, /Manager Status:\n\s+Address:\s+[\d.]+:2377\n\s+Raft Status:\s+Reachable\n\s+Leader:\s+Yes/);
  await docker('node', 'update', '--availability', 'drain', 'h1');
  assert.match(await docker('node', 'ls'), /h1\s+Ready\s+Drain/);
  await docker('node', 'update', '--availability', 'active', 'h1');
  await docker('node', 'update', '--label-add', 'zone=a', 'h1');
  assert.match(await docker('node', 'inspect', 'h1', '--format', '{{json .Spec.Labels}}'), /"zone":"a"/);
});

test('networks, and a service that converges like Docker\'s', async () => {
  await shoald.importBusybox();
  assert.match(await docker('network', 'create', '-d', 'overlay', '--attachable', 'appnet'), /^[0-9a-z]{25}\n$/);
  const nets = await docker('network', 'ls');
  assert.match(nets, /appnet\s+overlay\s+swarm/);
  assert.match(nets, /ingress\s+overlay\s+swarm/);

  const created = await docker('service', 'create', '--replicas', '2', '--name', 'ping_app', '--network', 'appnet', '--stop-grace-period', '1s', 'busybox', 'ping', '127.0.0.1');
  assert.match(created, /overall progress: 2 out of 2 tasks/);
  assert.match(created, /verify: Service [0-9a-z]+ converged/);
  assert.match(await docker('service', 'ls'), /ping_app\s+replicated\s+2\/2\s+busybox:latest/);
  const ps = await docker('service', 'ps', 'ping_app');
  assert.match(ps, /ping_app\.1\s+busybox:latest\s+h1\s+Running\s+Running/);
  assert.match(ps, /ping_app\.2\s+busybox:latest\s+h1\s+Running\s+Running/);
  const pretty = await docker('service', 'inspect', '--pretty', 'ping_app');
  assert.match(pretty, /Name:\s+ping_app/);
  assert.match(pretty, /Replicas:\s+2/);
  assert.match(pretty, /Networks: appnet/);

  // Each task has its own address on appnet, and they reach each other.
  const tasks = JSON.parse(await docker('inspect', '--type', 'task', ...(await docker('service', 'ps', '-q', 'ping_app')).trim().split('\n'))) as {
    NetworksAttachments: { Network: { Spec: { Name: string } }; Addresses: string[] }[];
    Status: { ContainerStatus: { PID: number } };
  }[];
  const addrs = tasks.map((t) => t.NetworksAttachments.find((a) => a.Network.Spec.Name === 'appnet')!.Addresses[0].split('/')[0]);
  assert.equal(new Set(addrs).size, 2);
  const ping = await lab.exec('h1', 'nsenter', [`--net=/proc/${tasks[0].Status.ContainerStatus.PID}/ns/net`, 'busybox', 'ping', '-c', '1', '-W', '2', addrs[1]]);
  assert.match(ping.stdout, /1 packets received/);
});

test('scale, update, rollback, logs', async () => {
  assert.match(await docker('service', 'scale', 'ping_app=4'), /ping_app scaled to 4/);
  assert.match(await docker('service', 'ls'), /ping_app\s+replicated\s+4\/4/);
  await docker('service', 'scale', '--detach', 'ping_app=1');
  await shoald.waitForReplicas('ping_app', '1/1');

  assert.match(await docker('service', 'update', '--image', 'busybox:latest', '--env-add', 'STAGE=2', 'ping_app'), /verify: Service ping_app converged/);
  assert.match(await docker('service', 'inspect', 'ping_app', '--format', '{{json .Spec.TaskTemplate.ContainerSpec.Env}}'), /STAGE=2/);
  assert.match(await docker('service', 'rollback', 'ping_app'), /rollback: manually requested rollback/);
  assert.match(await docker('service', 'inspect', 'ping_app', '--format', '{{.UpdateStatus.State}}'), /rollback_completed/);
  assert.doesNotMatch(await docker('service', 'inspect', 'ping_app', '--format', '{{json .Spec.TaskTemplate.ContainerSpec.Env}}'), /STAGE=2/);

  const logs = await docker('service', 'logs', '--tail', '3', 'ping_app');
  assert.match(logs, /ping_app\.1\.[0-9a-z]+@h1\s+\| 64 bytes from 127\.0\.0\.1/);
});

test('a task whose process dies is replaced in the same slot', async () => {
  await docker('service', 'create', '--detach', '--name', 'phoenix', '--replicas', '2', '--restart-delay', '0s', 'busybox', 'sleep', '100000');
  await shoald.waitForReplicas('phoenix', '2/2');
  const [first] = (await docker('service', 'ps', '-q', '--filter', 'desired-state=running', 'phoenix')).trim().split('\n');
  const victim = JSON.parse(await docker('inspect', '--type', 'task', first))[0];
  process.kill(victim.Status.ContainerStatus.PID, 'SIGKILL');
  await waitUntil('a replacement in the same slot', async () => {
    const ps = await docker('service', 'ps', '--format', '{{.Name}} {{.ID}} {{.CurrentState}} {{.Error}}', 'phoenix');
    const slot = ps.split('\n').filter((l) => l.includes(`phoenix.${victim.Slot} `) || l.startsWith(`phoenix.${victim.Slot} `));
    return slot.some((l) => !l.includes(victim.ID.slice(0, 12)) && / Running /.test(l)) && ps.includes('non-zero exit (137)');
  }, { timeoutMs: 15_000, intervalMs: 200 });
  const running = (await docker('service', 'ps', '-q', '--filter', 'desired-state=running', 'phoenix')).trim().split('\n');
  assert.equal(running.length, 2, 'still exactly two tasks wanted running');
  await docker('service', 'rm', 'phoenix');
});

test('stacks: deploy with replicas and a published port, update in place, ls, services, ps, rm', async () => {
  const file = join(lab.hostDir('h1'), 'swarm.yml');
  const compose = (replicas: number) => `version: "3.8"
services:
  worker:
    image: busybox:latest
    command: ["sh", "-c", "while true; do echo working; sleep 1; done"]
    deploy:
      replicas: ${replicas}
  api:
    image: busybox:latest
    command: ["httpd", "-f", "-p", "5555"]
    ports:
      - "5555:5555"
`;
  writeFileSync(file, compose(4));
  const out = await docker('stack', 'deploy', '-c', file, 'celery');
  assert.match(out, /Creating network celery_default/);
  assert.match(out, /Creating service celery_worker/);
  await shoald.waitForReplicas('celery_worker', '4/4');
  await shoald.waitForReplicas('celery_api', '1/1');
  assert.match(await docker('stack', 'ls'), /celery\s+2/);
  const services = await docker('stack', 'services', 'celery');
  assert.match(services, /celery_api\s+replicated\s+1\/1\s+busybox:latest\s+\*:5555->5555\/tcp/);
  const before = (await docker('service', 'ps', '-q', '--filter', 'desired-state=running', 'celery_worker')).trim().split('\n').sort();

  writeFileSync(file, compose(2));
  assert.match(await docker('stack', 'deploy', '-c', file, 'celery'), /Updating service celery_worker/);
  await shoald.waitForReplicas('celery_worker', '2/2');
  const afterIds = (await docker('service', 'ps', '-q', '--filter', 'desired-state=running', 'celery_worker')).trim().split('\n');
  assert.ok(afterIds.every((id) => before.includes(id)), 'scaling by redeploy keeps the remaining tasks (updated in place, not restarted)');
  assert.match(await docker('stack', 'ps', 'celery'), /celery_worker\.1\s+busybox:latest\s+h1\s+Running/);

  const rm = await docker('stack', 'rm', 'celery');
  assert.match(rm, /Removing service celery_api/);
  assert.match(rm, /Removing network celery_default/);
  await waitUntil('stack gone', async () => !(await docker('stack', 'ls')).includes('celery'));
});

test('secrets and configs reach a service as files', async () => {
  assert.match((await shoald.docker(['secret', 'create', 's1', '-'], { input: 'top-secret\n' })).stdout, /^[0-9a-z]{25}\n$/);
  const conf = join(lab.hostDir('h1'), 'c1.conf');
  writeFileSync(conf, 'color=blue\n');
  await docker('config', 'create', 'c1', conf);
  assert.match(await docker('secret', 'ls'), /s1/);
  assert.match(await docker('config', 'ls'), /c1/);
  await docker('service', 'create', '--detach', '--name', 'reader', '--secret', 's1', '--config', 'c1', 'busybox', 'sh', '-c', 'cat /run/secrets/s1 /c1; sleep 100000');
  await shoald.waitForReplicas('reader', '1/1');
  await waitUntil('files printed', async () => {
    const logs = await docker('service', 'logs', 'reader');
    return logs.includes('top-secret') && logs.includes('color=blue');
  });
  assert.match(await dockerFails('secret', 'rm', 's1'), /secret 's1' is in use by the following service: reader/);
  await docker('service', 'rm', 'reader');
});

test('an unknown image runs from the host filesystem and says so; a command that cannot start fails clearly', async () => {
  await docker('service', 'create', '--detach', '--name', 'hostfs', 'nosuchimage:1', 'sleep', '100000');
  await shoald.waitForReplicas('hostfs', '1/1');
  const [id] = (await docker('service', 'ps', '-q', 'hostfs')).trim().split('\n');
  assert.match(await docker('inspect', '--type', 'task', '--format', '{{.Status.Message}}', id), /image "nosuchimage:1" not found locally/);

  await docker('service', 'create', '--detach', '--name', 'broken', '--restart-condition', 'none', 'busybox', 'nosuchcmd');
  await waitUntil('the start failure shown', async () =>
    (await docker('service', 'ps', '--no-trunc', 'broken')).includes('starting container failed: exec: "nosuchcmd": executable file not found in $PATH'),
  { timeoutMs: 15_000, intervalMs: 200 });
  await docker('service', 'rm', 'hostfs', 'broken');
});

test('errors fail like Docker\'s', async () => {
  assert.match(await dockerFails('service', 'inspect', 'nosuch'), /no such service: nosuch/);
  await docker('service', 'create', '--detach', '--mode', 'global', '--name', 'everywhere', 'busybox', 'sleep', '100000');
  assert.match(await dockerFails('service', 'scale', 'everywhere=3'), /scale can only be used with replicated or replicated-job mode/);
  assert.match(await dockerFails('service', 'create', '--replicas', '-1', 'busybox', 'true'), /invalid replicas value -1|Replicas|negative/i);
  await docker('service', 'rm', 'everywhere');
});

test('swarm leave --force stops every task and removes what it made', async () => {
  await docker('service', 'create', '--detach', '--name', 'lingering', '--replicas', '2', '--network', 'appnet', 'busybox', 'sleep', '100000');
  await shoald.waitForReplicas('lingering', '2/2');
  const ids = (await docker('service', 'ps', '-q', 'lingering')).trim().split('\n');
  const pids = (JSON.parse(await docker('inspect', '--type', 'task', ...ids)) as { Status: { ContainerStatus: { PID: number } } }[]).map((t) => t.Status.ContainerStatus.PID);
  assert.match(await dockerFails('swarm', 'leave'), /Use `--force` to ignore this message/);
  assert.match(await docker('swarm', 'leave', '--force'), /Node left the swarm\./);
  assert.match(await docker('info', '--format', '{{.Swarm.LocalNodeState}}'), /inactive/);
  for (const pid of pids) assert.throws(() => process.kill(pid, 0), 'task process ended');
  const netns = (await lab.exec('h1', 'ip', ['netns', 'list'])).stdout;
  for (const id of ids) assert.ok(!netns.includes(id.slice(0, 12)), `namespace of task ${id} removed`);
  assert.doesNotMatch((await lab.exec('h1', 'ip', ['-o', 'link'])).stdout, /shoal\d+/, 'network bridges removed');
});
