import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { call } from '../api/harness.js';
import { cliServiceSpec } from '../unit/controlapi/fixture.js';
import { LabSuite } from './faults/lab-suite.js';
import { acknowledged, assertNoDuplicates, assertNothingLost, waitTablesConverged } from './faults/cluster-checks.js';
import { fuzzCluster } from './bad-input/api-fuzz.js';
import type { ProbeConfig, ProbeOutcome } from './bad-input/cluster-port-probe.js';
import type { DnsGarbageResult } from './bad-input/dns-garbage.js';

// Bad input against a running cluster: two managers (h1 leads, h2 follows and forwards) and a host
// outside the swarm (h3). Nothing crashes (every daemon keeps serving), nothing is admitted (no
// node, no object from a refused request), nothing is lost (what was acknowledged stays, running).
const script = (name: string) => fileURLToPath(new URL(`./bad-input/${name}.js`, import.meta.url));
const suite = new LabSuite('bad-input suite summary');
const { run } = suite;
const acked = acknowledged();

interface TaskView { ID: string; NodeID: string; Status: { State: string; ContainerStatus: { PID: number } } }

async function keeperTasks(): Promise<TaskView[]> {
  const ids = (await run('h1', 'service', 'ps', '-q', '--filter', 'desired-state=running', 'keeper')).trim().split('\n');
  return JSON.parse(await run('h1', 'inspect', '--type', 'task', ...ids)) as TaskView[];
}

const nodeCount = async () => (await run('h1', 'node', 'ls', '-q')).trim().split('\n').length;

before(() => suite.guarded(async () => {
  await suite.start(['h1', 'h2', 'h3']);
  for (const h of ['h1', 'h2']) await suite.hosts[h]!.importBusybox();
  await run('h1', 'swarm', 'init', '--advertise-addr', suite.lab.host('h1').address, '--dispatcher-heartbeat', '1s');
  await run('h2', 'swarm', 'join', '--token', (await run('h1', 'swarm', 'join-token', '-q', 'manager')).trim(), `${suite.lab.host('h1').address}:2377`);
  await run('h1', 'network', 'create', '-d', 'overlay', 'keepnet');
  acked.networks.add('keepnet');
  await suite.hosts.h1!.docker(['secret', 'create', 'keepsecret', '-'], { input: 'kept' });
  acked.secrets.add('keepsecret');
  await run('h1', 'service', 'create', '--detach', '--name', 'keeper', '--replicas', '2', '--network', 'keepnet', '--stop-grace-period', '1s', 'busybox', 'httpd', '-f', '-p', '80');
  acked.services.add('keeper');
  await suite.hosts.h1!.waitForReplicas('keeper', '2/2', 40_000);
}));

after(() => suite.finish());


const BAD_COMPOSE: Record<string, string> = {
  'not YAML': 'services: [\n  - : :\n\t"',
  'empty': '',
  'binary': randomBytes(200).toString('latin1'),
  'services as a list': 'version: "3.8"\nservices:\n  - web\n',
  'unknown key': 'version: "3.8"\nservices:\n  web:\n    image: busybox\n    bogus: 1\n',
  'replicas not a number': 'version: "3.8"\nservices:\n  web:\n    image: busybox\n    deploy:\n      replicas: many\n',
  'port out of range': 'version: "3.8"\nservices:\n  web:\n    image: busybox\n    ports: ["99999:80"]\n',
  'the cluster port published': 'version: "3.8"\nservices:\n  web:\n    image: busybox\n    ports: ["2377:80"]\n',
  'no image': 'version: "3.8"\nservices:\n  web:\n    command: sleep 1\n',
  'bad image reference': 'version: "3.8"\nservices:\n  web:\n    image: "UPPER:case:bad"\n',
  'memory limit nonsense': 'version: "3.8"\nservices:\n  web:\n    image: busybox\n    deploy:\n      resources:\n        limits:\n          memory: lots\n',
  'missing external network': 'version: "3.8"\nservices:\n  web:\n    image: busybox\n    networks: [nope]\nnetworks:\n  nope:\n    external: true\n',
  'duplicate keys': 'version: "3.8"\nservices:\n  web:\n    image: busybox\n  web:\n    image: busybox\n',
  'healthcheck interval nonsense': 'version: "3.8"\nservices:\n  web:\n    image: busybox\n    healthcheck:\n      test: ["CMD", "true"]\n      interval: soon\n',
};

test('malformed compose files: stack deploy refuses each with a message, and no service is created', () => suite.guarded(async () => {
  const file = join(suite.lab.hostDir('h2'), 'bad.yml');
  const refusals: string[] = [];
  for (const [what, text] of Object.entries(BAD_COMPOSE)) {
    writeFileSync(file, text, 'latin1');
    const res = await suite.hosts.h2!.docker(['stack', 'deploy', '-c', file, 'bad'], { allowFail: true, timeoutMs: 30_000 });
    assert.notEqual(res.code, 0, `stack deploy of a compose file with ${what} succeeded: ${res.stdout}`);
    assert.ok(res.stderr.trim(), `no error message for ${what}`);
    refusals.push(`${what}: ${res.stderr.trim().split('\n').pop()}`);
  }
  assert.equal((await run('h1', 'service', 'ls', '-q', '--filter', 'name=bad_')).trim(), '', 'a refused stack left services');
  // What the CLI created before a refused service (its networks) goes with the stack.
  await run('h2', 'stack', 'rm', 'bad').catch(() => undefined);
  suite.note(`${refusals.length} malformed compose files refused`);
  process.stdout.write(refusals.map((r) => `#   ${r}\n`).join(''));
}));

test('malformed DNS packets from inside a task: the embedded DNS server answers the next query', () => suite.guarded(async () => {
  const task = (await keeperTasks())[0]!;
  const pid = task.Status.ContainerStatus.PID;
  const server = /^nameserver\s+(\S+)/m.exec(readFileSync(`/proc/${pid}/root/etc/resolv.conf`, 'utf8'))![1]!;
  const vip = JSON.parse(await run('h1', 'service', 'inspect', '--format', '{{json .Endpoint.VirtualIPs}}', 'keeper')) as { Addr: string }[];
  const taskHost = (JSON.parse(await run('h1', 'node', 'inspect', task.NodeID)) as { Description: { Hostname: string } }[])[0]!.Description.Hostname;
  const res = await suite.lab.exec(taskHost, 'nsenter', [`--net=/proc/${pid}/ns/net`, process.execPath, script('dns-garbage'), server, 'keeper', '1000', '13'], { timeoutMs: 60_000 });
  const result = JSON.parse(res.stdout.trim().split('\n').pop()!) as DnsGarbageResult;
  const expected = vip.map((v) => v.Addr.split('/')[0]!);
  assert.deepEqual(result.after.udp, expected, 'the name resolves over UDP after the garbage');
  assert.deepEqual(result.after.tcp, expected, 'the name resolves over TCP after the garbage');
  assert.ok(suite.hosts[taskHost]!.process.running, `shoald on ${taskHost} is still running`);
  suite.note(`DNS: ${result.udpSent} malformed UDP packets (${result.udpAnswered} answered, FORMERR or forwarded) and ${result.tcpConnections} garbage TCP connections; the server kept answering`);
}));

test('garbage, replayed and forged messages at port 2377 without a valid certificate are all refused', () => suite.guarded(async () => {
  const certs = join(suite.lab.hostDir('h2'), 'shoal', 'swarm', 'certificates');
  const token = (await run('h1', 'swarm', 'join-token', '-q', 'worker')).trim();
  const task = (await keeperTasks())[0]!;
  const config: ProbeConfig = {
    target: `${suite.lab.host('h1').address}:2377`,
    caCertPem: readFileSync(join(certs, 'swarm-root-ca.crt'), 'utf8'),
    node: { id: (await run('h2', 'node', 'inspect', 'self', '--format', '{{.ID}}')).trim(), certPem: readFileSync(join(certs, 'swarm-node.crt'), 'utf8'), keyPem: readFileSync(join(certs, 'swarm-node.key'), 'utf8') },
    taskId: task.ID,
    forgedToken: `${token.split('-').slice(0, 3).join('-')}-${'forged0000000000000000000'}`,
  };
  const res = await suite.lab.exec('h3', process.execPath, [script('cluster-port-probe'), JSON.stringify(config)], { timeoutMs: 120_000 });
  const outcomes = JSON.parse(res.stdout.trim().split('\n').pop()!) as ProbeOutcome[];
  for (const o of outcomes) {
    assert.doesNotMatch(o.answer, /^accepted/, `${o.what} was accepted: ${o.answer}`);
    process.stdout.write(`#   ${o.what}: ${o.answer.slice(0, 160)}\n`);
  }
  assert.ok(suite.hosts.h1!.process.running && suite.hosts.h2!.process.running, 'the managers are still running');
  assert.equal(await nodeCount(), 2, 'no node admitted');
  const after = (await keeperTasks()).find((t) => t.ID === task.ID);
  assert.equal(after?.Status.State, 'running', 'the replayed status report changed nothing');
  suite.note(`port 2377: ${outcomes.length} bad messages, all refused`);
}));

test('a join with a forged token is refused and admits no node', () => suite.guarded(async () => {
  const token = (await run('h1', 'swarm', 'join-token', '-q', 'manager')).trim();
  const forged = `${token.split('-').slice(0, 3).join('-')}-${'0123456789abcdefghijklmno'}`;
  const res = await suite.hosts.h3!.docker(['swarm', 'join', '--token', forged, `${suite.lab.host('h1').address}:2377`], { allowFail: true });
  assert.notEqual(res.code, 0);
  assert.match(res.stderr, /A valid join token is necessary/);
  assert.match(await run('h3', 'info', '--format', '{{.Swarm.LocalNodeState}}'), /inactive/);
  assert.equal(await nodeCount(), 2);
}));

const FUZZ_SEED = Number(process.env['SHOAL_FUZZ_SEED'] ?? 20261122);

test('the Engine API fuzz through the follower manager: Docker-like answers, refused requests change nothing', () => suite.guarded(async () => {
  // The single-host fuzz's fixtures: a service `web` and a secret `s1` its requests aim at.
  await call(suite.hosts.h2!.socket, 'POST', '/v1.41/services/create', cliServiceSpec('web'));
  await call(suite.hosts.h2!.socket, 'POST', '/v1.41/secrets/create', { Name: 's1', Data: Buffer.from('v').toString('base64') });
  const result = await fuzzCluster(suite.hosts.h2!.socket, FUZZ_SEED, 1000, 20_000);
  assert.ok(result.refused > 50, `only ${result.refused} requests refused: the fuzzer is not reaching the checks`);
  suite.note(`API fuzz through h2 (seed ${FUZZ_SEED}): ${result.sent} requests, ${result.refused} refused, by status ${JSON.stringify(result.byStatus)}`);
}));

test('afterwards every daemon serves, no node was admitted, and nothing acknowledged was lost', () => suite.guarded(async () => {
  for (const h of ['h1', 'h2', 'h3']) {
    assert.ok(suite.hosts[h]!.process.running, `shoald on ${h} is running`);
    assert.equal((await call(suite.hosts[h]!.socket, 'GET', '/_ping')).body.toString(), 'OK');
  }
  assert.equal(await nodeCount(), 2);
  await assertNothingLost(run, 'h1', acked);
  await suite.hosts.h1!.waitForReplicas('keeper', '2/2', 30_000);
  await assertNoDuplicates(run, 'h1');
  await waitTablesConverged(run, 'h1');
}));
