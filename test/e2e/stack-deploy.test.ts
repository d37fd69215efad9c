import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { BUSYBOX_BIN, createLab, dockerCli, waitUntil, type Lab } from '../lab/index.js';
import { ShoaldInHost } from './shoald-harness.js';
import { exec, type ExecResult } from '../../src/util/exec.js';

// `shoal stack deploy` against `docker stack deploy` on the same shoald: same services, networks
// and secrets, read back through the Engine API.
let lab: Lab;
let shoald: ShoaldInHost;
let failed = false;
let dir: string;

const COMPOSE = `version: "3.8"
services:
  web:
    image: busybox:latest
    command: ["sh", "-c", "echo \${GREETING:-hello} from $$(hostname) > /tmp/index.html; exec httpd -f -p 80 -h /tmp"]
    ports:
      - "8080:80"
    networks: [backend]
    environment:
      TIER: front
    healthcheck:
      test: ["CMD", "true"]
      interval: 2s
    deploy:
      replicas: 2
      labels: { com.example.role: web }
      update_config: { parallelism: 1, delay: 1s, order: start-first }
      restart_policy: { condition: any, delay: 1s }
      resources:
        limits: { memory: 64M }
  api:
    image: busybox:latest
    command: sleep 100000
    networks:
      backend:
        aliases: [api-internal]
    secrets:
      - db_password
      - source: db_password
        target: pw2
        mode: 0400
    deploy:
      placement:
        constraints: [node.role == manager]
  worker:
    image: busybox:latest
    build: ./worker
    entrypoint: ["sh", "-c"]
    command: ["sleep 100000"]
    deploy:
      mode: global
networks:
  backend:
    driver: overlay
    attachable: true
secrets:
  db_password:
    file: ./db_password.txt
`;

before(async () => {
  lab = await createLab({ hosts: 1 });
  shoald = new ShoaldInHost(lab, 'h1', ['--advertise-addr', lab.host('h1').address]);
  await shoald.start();
  await shoald.docker(['swarm', 'init', '--advertise-addr', lab.host('h1').address]);
  await shoald.importBusybox();
  dir = lab.hostDir('h1');
  writeFileSync(join(dir, 'compose.yml'), COMPOSE);
  writeFileSync(join(dir, 'db_password.txt'), 'hunter2\n');
});

after(async () => {
  if (failed) lab.dumpLogs();
  await lab.destroy();
});

const check = <T>(p: Promise<T>): Promise<T> =>
  p.catch((err: unknown) => {
    failed = true;
    throw err;
  });
const docker = async (...args: string[]): Promise<string> => (await check(shoald.docker(args))).stdout;
const shoal = (args: string[], allowFail = false): Promise<ExecResult> =>
  check(exec(process.execPath, [resolve('bin/shoal'), '-H', `unix://${shoald.socket}`, ...args], { allowFail, env: { ...process.env, GREETING: 'hi' }, timeoutMs: 60_000 }));

interface FileReference { SecretName?: string; ConfigName?: string; File: { Name: string } }
interface Inspected {
  ID: string;
  Spec: Record<string, unknown> & { Name: string; TaskTemplate: { ContainerSpec: { Secrets?: FileReference[]; Configs?: FileReference[] } } };
}

/**
 * Both CLIs sort a service's secret and config references by name, but docker's references to ONE secret under
 * several targets come out of a Go map, in random order: those are compared in target order (the name order stays checked).
 */
function inTargetOrder(refs: FileReference[] | undefined): void {
  const name = (r: FileReference): string => r.SecretName ?? r.ConfigName ?? '';
  refs?.forEach((r, i) => assert.ok(i === 0 || name(refs[i - 1]) <= name(r), `references sorted by name: ${refs.map(name).join(', ')}`));
  refs?.sort((a, b) => name(a).localeCompare(name(b)) || a.File.Name.localeCompare(b.File.Name));
}

/** The stack's service specs from the API, IDs of networks and secrets replaced by names: what may differ between two deploys. */
async function stackSpecs(stack: string): Promise<Record<string, unknown>> {
  const ids = (await docker('service', 'ls', '-q', '--filter', `label=com.docker.stack.namespace=${stack}`)).trim().split('\n');
  const services = JSON.parse(await docker('service', 'inspect', ...ids)) as Inspected[];
  for (const s of services) {
    inTargetOrder(s.Spec.TaskTemplate.ContainerSpec.Secrets);
    inTargetOrder(s.Spec.TaskTemplate.ContainerSpec.Configs);
  }
  const networks = JSON.parse(await docker('network', 'inspect', ...(await docker('network', 'ls', '-q')).trim().split('\n'))) as { Id: string; Name: string }[];
  const secrets = JSON.parse(await docker('secret', 'inspect', ...(await docker('secret', 'ls', '-q')).trim().split('\n'))) as { ID: string; Spec: { Name: string } }[];
  let text = JSON.stringify(Object.fromEntries(services.map((s) => [s.Spec.Name, s.Spec])));
  for (const n of networks) text = text.replaceAll(n.Id, `<network ${n.Name}>`);
  for (const s of secrets) text = text.replaceAll(s.ID, `<secret ${s.Spec.Name}>`);
  return JSON.parse(text) as Record<string, unknown>;
}

async function waitRemoved(stack: string): Promise<void> {
  await waitUntil(`stack ${stack} removed`, async () => {
    const [svc, nets, secrets] = await Promise.all([docker('service', 'ls', '-q'), docker('network', 'ls', '--filter', `label=com.docker.stack.namespace=${stack}`, '-q'), docker('secret', 'ls', '-q')]);
    return !svc.trim() && !nets.trim() && !secrets.trim();
  }, { timeoutMs: 30_000, intervalMs: 200 });
}

let shoalSpecs: Record<string, unknown>;

test('shoal stack deploy: three services, an overlay network, a secret and a published port', async () => {
  const res = await shoal(['stack', 'deploy', '-c', join(dir, 'compose.yml'), 'shop']);
  assert.equal(res.stdout, 'Creating network shop_backend\nCreating network shop_default\nCreating secret shop_db_password\nCreating service shop_api\nCreating service shop_web\nCreating service shop_worker\n');
  assert.equal(res.stderr, 'Ignoring unsupported options: build\n\n');
  await shoald.waitForReplicas('shop_web', '2/2');
  await shoald.waitForReplicas('shop_api', '1/1');
  await shoald.waitForReplicas('shop_worker', '1/1');
  const page = await lab.exec('h1', BUSYBOX_BIN, ['wget', '-q', '-O-', `http://${lab.host('h1').address}:8080/`]);
  assert.match(page.stdout, /^hi from /, 'the published port reaches a web task; ${GREETING} came from the deploying shell');

  // The stack's views, shoal's and docker's, side by side (same columns and values).
  assert.equal((await shoal(['stack', 'ls'])).stdout, await docker('stack', 'ls'));
  assert.equal((await shoal(['stack', 'services', 'shop'])).stdout, await docker('stack', 'services', 'shop'));
  const ps = (await shoal(['stack', 'ps', 'shop'])).stdout;
  assert.match(ps, /^ID\s+NAME\s+IMAGE\s+NODE\s+DESIRED STATE\s+CURRENT STATE\s+ERROR\s+PORTS\n/);
  assert.match(ps, /shop_web\.1\s+busybox:latest\s+h1\s+Running\s+Running/);
  const timeless = 'table {{.ID}}\t{{.Name}}\t{{.Image}}\t{{.Node}}\t{{.DesiredState}}\t{{.Error}}\t{{.Ports}}';
  assert.equal((await shoal(['stack', 'ps', '--format', timeless, 'shop'])).stdout, await docker('stack', 'ps', '--format', timeless, 'shop'));
  assert.equal((await shoal(['stack', 'ps', '-q', 'shop'])).stdout.split('\n').sort().join(), (await docker('stack', 'ps', '-q', 'shop')).split('\n').sort().join());
  shoalSpecs = await stackSpecs('shop');
});

test('a second deploy updates in place; --prune removes services no longer in the file', async () => {
  const res = await shoal(['stack', 'deploy', '-c', join(dir, 'compose.yml'), 'shop']);
  assert.match(res.stdout, /^Updating service shop_api \(id: [0-9a-z]{25}\)\nUpdating service shop_web \(id: [0-9a-z]{25}\)\nUpdating service shop_worker \(id: [0-9a-z]{25}\)\n$/);
  assert.deepEqual(await stackSpecs('shop'), shoalSpecs, 'an unchanged file changes nothing');
  const smaller = join(dir, 'no-worker.yml');
  writeFileSync(smaller, 'services:\n  api:\n    image: busybox:latest\n    command: sleep 100000\n');
  const pruned = await shoal(['stack', 'deploy', '--prune', '-c', join(dir, 'compose.yml'), '-c', smaller, 'shop']);
  assert.match(pruned.stdout, /Updating service shop_api/);
  const lean = join(dir, 'lean.yml');
  writeFileSync(lean, 'services:\n  api:\n    image: busybox:latest\n    command: sleep 100000\n');
  const prunedAll = await shoal(['stack', 'deploy', '--prune', '-c', lean, 'shop']);
  assert.match(prunedAll.stdout, /^Removing service shop_web\nRemoving service shop_worker\nUpdating service shop_api/);
  assert.deepEqual((await docker('service', 'ls', '--format', '{{.Name}}')).trim().split('\n'), ['shop_api']);
  await shoal(['stack', 'rm', 'shop']);
  await waitRemoved('shop');
});

test('docker stack deploy of the same file gives the same service specs', async () => {
  await shoal(['stack', 'deploy', '-c', join(dir, 'compose.yml'), 'shop']);
  const fromShoal = await stackSpecs('shop');
  const rm = await shoal(['stack', 'rm', 'shop']);
  assert.equal(rm.stdout, 'Removing service shop_api\nRemoving service shop_web\nRemoving service shop_worker\nRemoving secret shop_db_password\nRemoving network shop_backend\nRemoving network shop_default\n');
  await waitRemoved('shop');
  const res = await check(exec(dockerCli(), ['-H', `unix://${shoald.socket}`, 'stack', 'deploy', '-c', join(dir, 'compose.yml'), 'shop'], { env: { ...process.env, GREETING: 'hi' } }));
  assert.match(res.stdout, /Creating service shop_web/);
  const fromDocker = await stackSpecs('shop');
  assert.deepEqual(fromShoal, fromDocker);
  await docker('stack', 'rm', 'shop');
  await waitRemoved('shop');
});

test('a broken file: the error names the file, the line and the key, and nothing is created', async () => {
  const broken = join(dir, 'broken.yml');
  writeFileSync(broken, 'version: "3.8"\nservices:\n  web:\n    image: busybox:latest\n    deploy:\n      replicas: three\n');
  const res = await shoal(['stack', 'deploy', '-c', broken, 'bad'], true);
  assert.equal(res.code, 1);
  assert.equal(res.stderr, `${broken}:6: services.web.deploy.replicas: must be an integer, not string "three"\n`);
  const typo = 'services:\n  web:\n    image: busybox:latest\n    port:\n      - 80:80\n';
  writeFileSync(broken, typo);
  assert.match((await shoal(['stack', 'deploy', '-c', broken, 'bad'], true)).stderr, new RegExp(`^${broken}:4: services\\.web\\.port: unknown key "port"`));
  const fromStdin = await check(exec(process.execPath, [resolve('bin/shoal'), '-H', `unix://${shoald.socket}`, 'stack', 'deploy', '-c', '-', 'bad'], { allowFail: true, input: typo }));
  assert.match(fromStdin.stderr, /^<stdin>:4: services\.web\.port: unknown key "port"/);
  writeFileSync(broken, 'services:\n  web:\n    image: busybox:latest\n    networks: [outside]\nnetworks:\n  outside:\n    external: true\n');
  assert.equal((await shoal(['stack', 'deploy', '-c', broken, 'bad'], true)).stderr, 'network "outside" is declared as external, but could not be found. You need to create a swarm-scoped network before the stack is deployed\n');
  assert.equal((await docker('service', 'ls', '-q')).trim(), '');
});
