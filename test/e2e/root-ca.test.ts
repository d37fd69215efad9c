import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { createLab, waitUntil, type Lab } from '../lab/index.js';
import { dockerOn, fetchFromOutside, startShoalds, type ShoaldInHost } from './shoald-harness.js';
import { createRootCA, verifyNodeCertificate } from '../../src/cluster/ca/certificates.js';

// Root CA rotation (`docker swarm ca --rotate`) and an external CA given at init, on three hosts
// driven by the real docker CLI, with a 1 s dispatcher heartbeat.
const STANDIN = resolve('dist/test/e2e/fixtures/cfssl-standin.js');
const HOSTS = ['h1', 'h2', 'h3'];
let lab: Lab;
let hosts: Record<string, ShoaldInHost>;
let run: ReturnType<typeof dockerOn>;
let passed = 0;

before(async () => {
  lab = await createLab({ hosts: 3 });
  hosts = await startShoalds(lab, HOSTS);
  for (const h of HOSTS) await hosts[h]!.importBusybox();
  run = dockerOn(hosts);
});

after(async () => {
  if (passed < 3) lab.dumpLogs();
  await lab.destroy();
});

const fails = async (h: string, ...args: string[]) => {
  const res = await hosts[h]!.docker(args, { allowFail: true });
  assert.notEqual(res.code, 0, `docker ${args.join(' ')} on ${h} should fail`);
  return res.stderr;
};
const manager = () => `${lab.host('h1').address}:2377`;
const sameCert = (a: string, b: string) => new X509Certificate(a).fingerprint256 === new X509Certificate(b).fingerprint256;
/** The certificate a host's shoald holds now (leaf first). */
const hostCert = (h: string) => readFileSync(join(hosts[h]!.dataDir, 'swarm', 'certificates', 'swarm-node.crt'), 'utf8');

async function joinWorkers(names: string[]): Promise<void> {
  const token = (await run('h1', 'swarm', 'join-token', '-q', 'worker')).trim();
  for (const h of names) await run(h, 'swarm', 'join', '--token', token, manager());
  await waitUntil('all nodes ready', async () => (await run('h1', 'node', 'ls', '--format', '{{.Status}}')).trim().split('\n').filter((s) => s === 'Ready').length === 1 + names.length, { timeoutMs: 20_000, intervalMs: 250 });
}

/** `node ls` TLS status (what the docker CLI compares: each node's certificate issuer against the one the swarm wants) and state. */
const tlsStatus = async () => (await run('h1', 'node', 'ls', '--format', '{{.Hostname}} {{.Status}} {{.TLSStatus}}')).trim().split('\n').sort();

test('docker swarm ca --rotate: a new root, cross-signed, every node renews at once; the mesh keeps serving; old join tokens stop working', async () => {
  await run('h1', 'swarm', 'init', '--advertise-addr', lab.host('h1').address, '--dispatcher-heartbeat', '1s');
  await joinWorkers(['h2', 'h3']);
  const oldRoot = (await run('h1', 'swarm', 'ca')).trim();
  const oldToken = (await run('h1', 'swarm', 'join-token', '-q', 'worker')).trim();
  await run('h1', 'service', 'create', '--detach', '--name', 'web', '--replicas', '3', '-p', '8080:80', '--stop-grace-period', '1s',
    'busybox', 'sh', '-c', 'mkdir -p /www && hostname > /www/index.html && exec httpd -f -p 80 -h /www');
  await hosts.h1!.waitForReplicas('web', '3/3', 40_000);
  await waitUntil('the mesh answers', async () => (await fetchFromOutside(lab, lab.host('h2').address, 8080)) !== '', { timeoutMs: 20_000, intervalMs: 250 });

  // Requests through the mesh all along the rotation.
  let probing = true;
  const probes = { ok: 0, failed: 0 };
  const prober = (async () => {
    for (let i = 0; probing; i++) {
      const body = await fetchFromOutside(lab, lab.host(HOSTS[i % 3]!).address, 8080);
      if (body) probes.ok++;
      else probes.failed++;
    }
  })();
  const started = Date.now();
  const out = await run('h1', 'swarm', 'ca', '--rotate');
  const rotateMs = Date.now() - started;
  probing = false;
  await prober;
  const newRoot = out.trim().split('\n').filter((l) => !l.includes('rotated') && !l.includes('desired root')).join('\n').match(/-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----/)?.[0] ?? '';
  assert.ok(newRoot && !sameCert(newRoot, oldRoot), `swarm ca --rotate printed a new root: ${out}`);
  assert.ok(sameCert((await run('h1', 'swarm', 'ca')).trim(), newRoot), 'docker swarm ca shows the new root');
  assert.match(await run('h1', 'info', '--format', '{{.Swarm.Cluster.RootRotationInProgress}}'), /false/);
  console.log(`root rotation on 3 hosts: ${rotateMs} ms; mesh probes ${probes.ok} ok, ${probes.failed} failed`);
  assert.equal(probes.failed, 0, 'the published port answered all along');

  // Every node has a certificate from the new root and trusts only it.
  assert.deepEqual(await tlsStatus(), HOSTS.map((h) => `${h} Ready Ready`));
  for (const h of HOSTS) {
    const trust = JSON.parse(await run('h1', 'node', 'inspect', '--format', '{{json .Description.TLSInfo}}', h)) as { TrustRoot: string };
    assert.ok(sameCert(trust.TrustRoot, newRoot), `${h} trusts the new root`);
    verifyNodeCertificate(hostCert(h).split(/(?<=-----END CERTIFICATE-----\n?)/)[0]!, newRoot);
  }
  // The cluster keeps working: a new service runs on every node.
  await run('h1', 'service', 'create', '--detach', '--name', 'everywhere', '--mode', 'global', '--stop-grace-period', '1s', 'busybox', 'sleep', '100000');
  await hosts.h1!.waitForReplicas('everywhere', '3/3', 30_000);

  // Join tokens carry the new root's digest: the old one is refused, the new one works.
  const oldH3 = (await run('h3', 'info', '--format', '{{.Swarm.NodeID}}')).trim();
  await run('h3', 'swarm', 'leave');
  assert.match(await fails('h3', 'swarm', 'join', '--token', oldToken, manager()), /does not match the join token/);
  const newToken = (await run('h1', 'swarm', 'join-token', '-q', 'worker')).trim();
  assert.notEqual(newToken.split('-')[2], oldToken.split('-')[2], 'a new digest');
  assert.match(await run('h3', 'swarm', 'join', '--token', newToken, manager()), /joined a swarm as a worker/);
  await waitUntil('h3 ready again', async () => (await run('h1', 'node', 'ls', '--filter', 'role=worker', '--format', '{{.Hostname}} {{.Status}}')).split('\n').filter((l) => l === 'h3 Ready').length === 1, { timeoutMs: 20_000, intervalMs: 250 });
  // A node that is gone would hold up the next rotation (it waits for every node): remove it, as an operator would.
  await run('h1', 'node', 'rm', '--force', oldH3);
  passed++;
});

test('docker swarm ca --rotate --ca-cert --ca-key: the cluster moves to the given root; two managers keep their Raft', async () => {
  // h2 as a second manager: the managers' Raft connections move to the new certificates and roots too.
  await run('h1', 'node', 'promote', 'h2');
  const h2Status = async (from: string) => (await run(from, 'node', 'ls', '--filter', 'name=h2', '--format', '{{.ManagerStatus}}')).trim();
  await waitUntil('h2 a reachable manager', async () => (await h2Status('h1')) === 'Reachable', { timeoutMs: 20_000, intervalMs: 250 });
  const given = await createRootCA();
  const dir = lab.hostDir('h1');
  writeFileSync(join(dir, 'given-ca.pem'), given.certPem);
  writeFileSync(join(dir, 'given-ca.key'), given.keyPem, { mode: 0o600 });
  const out = await run('h1', 'swarm', 'ca', '--rotate', '--ca-cert', join(dir, 'given-ca.pem'), '--ca-key', join(dir, 'given-ca.key'));
  assert.ok(sameCert(out.match(/-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----/)![0], given.certPem), 'the given root is the swarm\'s now');
  assert.deepEqual(await tlsStatus(), HOSTS.map((h) => `${h} Ready Ready`));
  for (const h of HOSTS) verifyNodeCertificate(hostCert(h).split(/(?<=-----END CERTIFICATE-----\n?)/)[0]!, given.certPem);
  // A write on the second manager goes through Raft to the leader; both still see h2 reachable.
  await run('h2', 'network', 'create', '-d', 'overlay', 'after-rotation');
  assert.match(await run('h1', 'network', 'ls', '--format', '{{.Name}}'), /^after-rotation$/m);
  assert.equal(await h2Status('h2'), 'Reachable');
  await run('h1', 'node', 'demote', 'h2');
  // A key that does not match is refused before anything changes.
  const other = await createRootCA();
  writeFileSync(join(dir, 'other.pem'), other.certPem);
  assert.match(await fails('h1', 'swarm', 'ca', '--rotate', '--ca-cert', join(dir, 'other.pem'), '--ca-key', join(dir, 'given-ca.key')), /does not match the CA certificate/);
  passed++;
});

test('swarm init --external-ca: nodes get certificates from the cfssl stand-in; an unreachable CA is named in the error', async () => {
  for (const h of ['h2', 'h3']) await run(h, 'swarm', 'leave');
  await run('h1', 'swarm', 'leave', '--force');
  const ca = await createRootCA();
  const dir = lab.hostDir('h1');
  writeFileSync(join(dir, 'ext-ca.pem'), ca.certPem);
  writeFileSync(join(dir, 'ext-ca.key'), ca.keyPem, { mode: 0o600 });
  const addr = lab.host('h1').address;
  const standin = await lab.start('h1', process.execPath, [STANDIN, addr, '8888', join(dir, 'ext-ca.pem'), join(dir, 'ext-ca.key')], { name: 'cfssl' });
  await standin.waitForOutput(/cfssl stand-in listening/);
  const url = `https://${addr}:8888`;
  await run('h1', 'swarm', 'init', '--advertise-addr', addr, '--dispatcher-heartbeat', '1s', '--external-ca', `protocol=cfssl,url=${url},cacert=${join(dir, 'ext-ca.pem')}`);
  assert.ok(sameCert((await run('h1', 'swarm', 'ca')).trim(), ca.certPem), 'the external CA\'s root is the swarm\'s');
  await joinWorkers(['h2']);
  const h2Id = (await run('h2', 'info', '--format', '{{.Swarm.NodeID}}')).trim();
  assert.match(standin.output(), new RegExp(`SIGNED ${h2Id} swarm-worker`), 'the stand-in signed h2\'s certificate');
  assert.equal(verifyNodeCertificate(hostCert('h2'), ca.certPem).nodeId, h2Id);

  await standin.stop(5000);
  const token = (await run('h1', 'swarm', 'join-token', '-q', 'worker')).trim();
  assert.match(await fails('h3', 'swarm', 'join', '--token', token, manager()), new RegExp(`external CA at ${url.replace(/\./g, '\\.')}/api/v1/cfssl/sign could not be reached`));
  passed++;
});
