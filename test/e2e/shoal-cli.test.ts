import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLab, dockerCli, waitUntil, type Lab } from '../lab/index.js';
import { startShoalds, type ShoaldInHost } from './shoald-harness.js';
import { exec } from '../../src/util/exec.js';
import { goJson } from '../../src/cli/shoal/format/template.js';

// Every `shoal` verb against live shoalds, its output compared with the docker CLI's on the same cluster.
let lab: Lab;
let hosts: Record<string, ShoaldInHost>;
let failed = false;

before(async () => {
  lab = await createLab({ hosts: 2 });
  hosts = await startShoalds(lab, ['h1', 'h2']);
  await hosts.h1!.importBusybox();
});

after(async () => {
  if (failed) lab.dumpLogs();
  await lab.destroy();
});

const run = async (cmd: string, args: string[], input?: string): Promise<string> => {
  const res = await exec(cmd, args, { allowFail: true, input, timeoutMs: 60_000 });
  if (res.code !== 0) {
    failed = true;
    throw new Error(`${cmd} ${args.join(' ')} failed (${res.code}): ${res.stderr}\n${res.stdout}`);
  }
  return res.stdout;
};
const shoalOn = (h: string, ...args: string[]) => run(process.execPath, ['bin/shoal', '-H', `unix://${hosts[h]!.socket}`, ...args]);
const shoal = (...args: string[]) => shoalOn('h1', ...args);
const shoalIn = (input: string, ...args: string[]) => run(process.execPath, ['bin/shoal', '-H', `unix://${hosts.h1!.socket}`, ...args], input);
const docker = async (...args: string[]) => (await hosts.h1!.docker(args)).stdout;

/** Relative times ("5 seconds ago") differ by when each CLI ran: made equal, with the columns re-spaced. */
const timeless = (s: string) => s.replace(/(Less than a second|less than a second|About a minute|about a minute|\d+ (seconds?|minutes?)) ago/g, 'T ago').replace(/ {2,}/g, '  ');
/** The command name in hints ("run 'docker swarm join-token manager'"). */
const cliName = (s: string) => s.replaceAll('docker ', 'shoal ');

/** Runs the same arguments through both CLIs and expects the same output. */
async function same(args: string[], normalize: (s: string) => string = (s) => s): Promise<string> {
  const [d, s] = [await docker(...args), await shoal(...args)];
  assert.equal(normalize(s), normalize(d), `shoal ${args.join(' ')} differs from docker's`);
  return s;
}

const serverSection = (s: string) => s.slice(s.indexOf('\nServer:'));

test('swarm init, join-token, join, update, info, version', async () => {
  const init = await shoal('swarm', 'init', '--advertise-addr', lab.host('h1').address);
  assert.match(init, /^Swarm initialized: current node \([0-9a-z]{25}\) is now a manager\.\n\nTo add a worker to this swarm, run the following command:\n\n {4}shoal swarm join --token SWMTKN-1-\S+ [\d.]+:2377\n\nTo add a manager to this swarm, run 'shoal swarm join-token manager' and follow the instructions\.\n\n$/);
  await same(['swarm', 'join-token', 'worker'], cliName);
  await same(['swarm', 'join-token', 'manager'], cliName);
  const token = (await same(['swarm', 'join-token', '-q', 'worker'])).trim();
  const rotated = await shoal('swarm', 'join-token', '--rotate', 'manager');
  assert.match(rotated, /^Successfully rotated manager join token\.\n\nTo add a manager to this swarm/);
  assert.equal(await shoal('swarm', 'update', '--task-history-limit', '3'), 'Swarm updated.\n');
  const locked = await shoal('swarm', 'update', '--autolock=true');
  assert.match(locked, /^Swarm updated\.\nTo unlock a swarm manager after it restarts, run the `shoal swarm unlock`\ncommand and provide the following key:\n\n {4}SWMKEY-1-\S+\n\nRemember to store/);
  await same(['swarm', 'unlock-key'], cliName);
  await same(['swarm', 'unlock-key', '-q']);
  const unlockErr = await exec(process.execPath, ['bin/shoal', '-H', `unix://${hosts.h1!.socket}`, 'swarm', 'unlock'], { allowFail: true, input: 'SWMKEY-1-x\n' });
  assert.equal(unlockErr.stderr, 'Error: swarm is not locked\n');
  await shoal('swarm', 'update', '--autolock=false');
  assert.equal(await shoalOn('h2', 'swarm', 'join', '--token', token, `${lab.host('h1').address}:2377`), 'This node joined a swarm as a worker.\n');
  await same(['info'], (s) => serverSection(s).replace(/ (Images|Containers): \d+/g, ''));
  await same(['info', '--format', '{{json .Swarm.Cluster.Spec}}']);
  await same(['version'], serverSection);
  assert.match(await shoal('swarm', 'inspect', '--format', '{{.Spec.Orchestration.TaskHistoryRetentionLimit}}'), /^3\n$/);
});

test('node ls, inspect, update, promote, demote, ps', async () => {
  await same(['node', 'ls']);
  await same(['node', 'ls', '-q']);
  await same(['node', 'ls', '--format', 'json']);
  await same(['node', 'ls', '--format', 'table {{.Hostname}}\t{{.Status}}\t{{.ManagerStatus}}']);
  await same(['node', 'ls', '--filter', 'role=manager']);
  // docker's Node type has neither Attachments nor Shoal's ShoalEndpointTable: the docker CLI drops them
  await same(['node', 'inspect', 'self'], (s) => JSON.stringify(JSON.parse(s).map(({ Attachments: _a, ShoalEndpointTable: _t, ...n }: Record<string, unknown>) => n), null, 4));
  await same(['node', 'inspect', '--pretty', 'self']);
  await same(['node', 'inspect', '--format', '{{.Description.Hostname}} {{json .Spec}}', 'h1', 'h2']);
  assert.equal(await shoal('node', 'update', '--availability', 'drain', '--label-add', 'zone=a', 'h2'), 'h2\n');
  assert.match(await same(['node', 'ls']), /h2\s+Ready\s+Drain/);
  await shoal('node', 'update', '--availability', 'active', 'h2');
  assert.equal(await shoal('node', 'promote', 'h2'), 'Node h2 promoted to a manager in the swarm.\n');
  await waitUntil('h2 reachable', async () => /h2\s+Ready\s+Active\s+Reachable/.test(await shoal('node', 'ls')), { timeoutMs: 15_000, intervalMs: 200 });
  await same(['node', 'ls']);
  assert.equal(await shoal('node', 'demote', 'h2'), 'Manager h2 demoted in the swarm.\n');
  await same(['node', 'ps', 'h1'], timeless);
});

test('network, secret and config create, ls, inspect', async () => {
  assert.match(await shoal('network', 'create', '-d', 'overlay', '--attachable', 'appnet'), /^[0-9a-z]{25}\n$/);
  await same(['network', 'ls']);
  await same(['network', 'ls', '-q', '--filter', 'name=appnet']);
  await same(['network', 'inspect', 'appnet']);
  await same(['network', 'ls', '--format', '{{.Name}} {{.Driver}} {{.Scope}}']);
  assert.match(await shoalIn('supersecret', 'secret', 'create', '--label', 'a=b', 's1', '-'), /^[0-9a-z]{25}\n$/);
  const file = join(lab.hostDir('h1'), 'c1.conf');
  writeFileSync(file, 'listen 80;\n');
  assert.match(await shoal('config', 'create', 'c1', file), /^[0-9a-z]{25}\n$/);
  for (const kind of ['secret', 'config']) {
    await same([kind, 'ls'], timeless);
    await same([kind, 'ls', '--format', 'json'], timeless);
    await same([kind, 'inspect', `${kind[0]}1`]);
  }
});

/** The screen a command leaves on a 150×30 terminal (tmux), so in-place progress lines can be compared. */
let ttyRuns = 0;
async function ttyScreen(cmd: string[]): Promise<string> {
  const tmux = (...args: string[]) => exec('tmux', ['-L', `shoal-cli-${process.pid}`, ...args], { allowFail: true });
  const session = `run${++ttyRuns}`;
  const quoted = cmd.map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ');
  await tmux('new-session', '-d', '-x', '150', '-y', '30', '-s', session, `${quoted}; echo __done__; sleep 60`);
  let screen = '';
  try {
    await waitUntil(`${cmd.join(' ')} on a terminal`, async () => (screen = (await tmux('capture-pane', '-p', '-t', session)).stdout).includes('__done__'), { timeoutMs: 30_000, intervalMs: 200 });
  } finally {
    await tmux('kill-session', '-t', session);
  }
  return screen.slice(0, screen.indexOf('__done__')).trimEnd();
}

/** The lines of a non-TTY convergence display that do not depend on timing. */
const progressLines = (s: string) => [...new Set(s.split('\n').filter((l) => /^(\d+\/\d+: |overall progress: (\d+) out of \2 tasks$|verify: Service|rollback: )/.test(l)))].join('\n').replace(/Service [0-9a-z]{25} converged/, 'Service ID converged');

test('service create, ls, ps, inspect, scale, update, rollback, logs, rm', async () => {
  const flags = ['--replicas', '2', '--constraint', 'node.hostname==h1', '--update-monitor', '500ms', '--stop-grace-period', '1s', '--network', 'appnet', '--secret', 's1', '--config', 'c1'];
  const created = await shoal('service', 'create', '--name', 'web', ...flags, '-p', '8080:80', 'busybox', 'httpd', '-f', '-p', '80');
  assert.match(created, /^[0-9a-z]{25}\noverall progress: 0 out of 2 tasks\n1\/2:  \n2\/2:  \n/);
  const dockerCreated = await docker('service', 'create', '--name', 'web2', ...flags, 'busybox', 'httpd', '-f', '-p', '80');
  assert.equal(progressLines(created), progressLines(dockerCreated));
  assert.match(created, /verify: Service [0-9a-z]{25} converged\n$/);
  assert.match(await same(['service', 'ls']), /web\s+replicated\s+2\/2\s+busybox:latest\s+\*:8080->80\/tcp/);
  await same(['service', 'ls', '-q']);
  await same(['service', 'ls', '--format', 'json']);
  await same(['service', 'ls', '--format', 'table {{.Name}}\t{{.Replicas}}', '--filter', 'name=web']);
  await same(['service', 'ps', 'web'], timeless);
  await same(['service', 'ps', '--no-trunc', '--filter', 'desired-state=running', 'web', 'web2'], timeless);
  await same(['service', 'ps', '-q', 'web']);
  // the docker CLI re-encodes services from its Go types: the same document, keys in its struct order
  await same(['service', 'inspect', 'web'], (s) => goJson(JSON.parse(s)));
  await same(['service', 'inspect', '--pretty', 'web']);
  await same(['service', 'inspect', '--format', '{{.Spec.Name}} {{json .Spec.TaskTemplate.ContainerSpec.Args}}', 'web', 'web2']);

  const scaled = await shoal('service', 'scale', 'web=3');
  const dockerScaled = await docker('service', 'scale', 'web2=3');
  assert.equal(progressLines(scaled).replace('web', 'web2'), progressLines(dockerScaled));
  assert.match(scaled, /^web scaled to 3\n/);

  // On a terminal: the same screen as docker's once converged (task lines rewritten in place, progress bars)
  const ttyShoal = await ttyScreen([process.execPath, 'bin/shoal', '-H', `unix://${hosts.h1!.socket}`, 'service', 'scale', 'web=2']);
  const ttyDocker = await ttyScreen([dockerCli(), '-H', `unix://${hosts.h1!.socket}`, 'service', 'scale', 'web2=2']);
  assert.equal(ttyShoal.replaceAll('web', 'web2'), ttyDocker);
  assert.match(ttyShoal, /^web scaled to 2\noverall progress: 2 out of 2 tasks *\n1\/2: running +\[=+>\] *\n2\/2: running +\[=+>\] *\nverify: Service web converged/);

  const updated = await shoal('service', 'update', '--env-add', 'STAGE=2', '--label-add', 'tier=front', 'web');
  const dockerUpdated = await docker('service', 'update', '--env-add', 'STAGE=2', '--label-add', 'tier=front', 'web2');
  assert.equal(progressLines(updated).replaceAll('web', 'web2'), progressLines(dockerUpdated));
  await same(['service', 'inspect', '--format', '{{json .Spec.TaskTemplate.ContainerSpec.Env}} {{json .Spec.Labels}}', 'web', 'web2']);

  const rolledBack = await shoal('service', 'rollback', 'web');
  const dockerRolledBack = await docker('service', 'rollback', 'web2');
  assert.equal(progressLines(rolledBack).replaceAll('web', 'web2'), progressLines(dockerRolledBack));
  assert.match(rolledBack, /rollback: /);

  // Beyond Swarm: every host's mesh and DNS against the managers' view (GET /shoal/services/{id}/why)
  let why = '';
  await waitUntil('both hosts in step for web', async () => (why = await shoal('service', 'why', 'web')).match(/ in step\n/g)?.length === 2, { timeoutMs: 15_000, intervalMs: 300 }).catch(() => assert.fail(`not in step:\n${why}`));
  assert.match(why, /^Service web \([0-9a-z]{25}\): managers' endpoint table \d+, 2 backends\n( {2}[0-9a-z]{12} on h1: [\d.]+ \((ingress|appnet)\), [\d.]+ \((ingress|appnet)\)\n){2}\n/);
  assert.match(why, /HOST\s+STATE\s+TABLE APPLIED\s+MANAGERS\s+MESH BACKENDS\s+DNS TASKS\s+VERDICT\nh1\s+ready\s+(\d+)\s+\1\s+2\s+2\s+in step\nh2\s+ready\s+(\d+)\s+\2\s+2\s+2\s+in step\n$/);
  const whyDoc = JSON.parse(await shoal('service', 'why', '--format', 'json', 'web')) as { Hosts: { hostname: string; mesh: { vips: { backends: string[] }[]; ports: { port: number; backends: string[] }[] }; dns: { name: string }[] }[] };
  assert.deepEqual(whyDoc.Hosts.map((h) => h.hostname).sort(), ['h1', 'h2']);
  for (const h of whyDoc.Hosts) {
    assert.equal(h.mesh.vips.length, 1, `${h.hostname}: the VIP on appnet (ingress goes through the published port)`);
    assert.ok(h.mesh.vips.every((v) => v.backends.length === 2));
    assert.deepEqual(h.mesh.ports.map((p) => [p.port, p.backends.length]), [[8080, 2]]);
    assert.ok(h.dns.some((r) => r.name === 'tasks.web'));
  }
  // A host that does not answer is named, with why
  await hosts.h2!.crash();
  const whyDown = await shoal('service', 'why', 'web');
  assert.match(whyDown, /\nh2\s+\w+\s+\d+\s+\d+\s+0\s+0\s+unreachable\n/);
  assert.match(whyDown, /\nh2: could not ask it: /);
  await hosts.h2!.start();

  assert.equal(await shoal('service', 'update', '--detach', '--replicas', '1', 'web'), 'web\n');
  await hosts.h1!.waitForReplicas('web', '1/1');
  await same(['service', 'logs', 'web2'], (s) => s.split('\n').sort().join('\n'));
  await same(['service', 'logs', '--no-task-ids', '--tail', '1', 'web2'], (s) => s.split('\n').sort().join('\n'));
  assert.equal(await shoal('service', 'rm', 'web', 'web2'), 'web\nweb2\n');
  await same(['service', 'ls']);
});

test('rm of networks, secrets, configs and nodes; leave', async () => {
  assert.equal(await shoal('secret', 'rm', 's1'), 's1\n');
  assert.equal(await shoal('config', 'rm', 'c1'), 'c1\n');
  assert.equal(await shoal('network', 'rm', 'appnet'), 'appnet\n');
  await same(['network', 'ls']);
  assert.equal(await shoalOn('h2', 'swarm', 'leave'), 'Node left the swarm.\n');
  assert.equal(await shoal('node', 'rm', '--force', 'h2'), 'h2\n');
  await same(['node', 'ls']);
});
