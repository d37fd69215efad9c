import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { createLab, waitUntil, type Lab } from '../lab/index.js';
import { dockerOn, fetchFromOutside, startShoalds, type ShoaldInHost } from './shoald-harness.js';
import { createRootCA, verifyNodeCertificate } from '../../src/cluster/ca/certificates.js';
import { startCfssl, type Cfssl } from './fixtures/cfssl.js';

// Root CA rotation (`docker swarm ca --rotate`) and external CAs (the real cfssl, two of them with
// their own roots, in the lab namespace), on three hosts driven by the real docker CLI, with a 1 s
// dispatcher heartbeat.
const HOSTS = ['h1', 'h2', 'h3'];
const TESTS = 4;
let lab: Lab;
let hosts: Record<string, ShoaldInHost>;
let run: ReturnType<typeof dockerOn>;
let cfsslA: Cfssl;
let cfsslB: Cfssl;
let passed = 0;

before(async () => {
  lab = await createLab({ hosts: 3 });
  cfsslA = await startCfssl(lab, 'a', 8888);
  // B signs only for swarm managers (mutual TLS: a certificate from A's root or its own), as an operator may lock it down.
  cfsslB = await startCfssl(lab, 'b', 8889, [cfsslA]);
  hosts = await startShoalds(lab, HOSTS);
  for (const h of HOSTS) await hosts[h]!.importBusybox();
  run = dockerOn(hosts);
});

after(async () => {
  if (passed < TESTS) lab.dumpLogs();
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
const nodeId = async (h: string) => (await run(h, 'info', '--format', '{{.Swarm.NodeID}}')).trim();
/** A URL where no CA listens. */
const deadCA = () => `https://${lab.host('lab').address}:8899`;

/** The host's certificate was signed by that cfssl, for the host's node ID, role and the swarm; it names the role and node ID as DNS names. */
async function assertSignedBy(cfssl: Cfssl, h: string, role: 'manager' | 'worker'): Promise<void> {
  const cert = hostCert(h);
  assert.ok(cfssl.signed(cert), `cfssl signed ${h}'s certificate`);
  const id = verifyNodeCertificate(cert, cfssl.caPem);
  assert.deepEqual([id.nodeId, id.role, id.clusterId], [await nodeId(h), role, (await run('h1', 'info', '--format', '{{.Swarm.Cluster.ID}}')).trim()]);
  assert.equal(new X509Certificate(cert).subjectAltName, `DNS:swarm-${role}, DNS:${id.nodeId}`);
}

async function joinWorkers(names: string[]): Promise<void> {
  const token = (await run('h1', 'swarm', 'join-token', '-q', 'worker')).trim();
  for (const h of names) await run(h, 'swarm', 'join', '--token', token, manager());
  await waitUntil(`${names.join(', ')} ready`, async () => {
    const nodes = (await run('h1', 'node', 'ls', '--format', '{{.Hostname}} {{.Status}}')).trim().split('\n');
    return names.every((h) => nodes.includes(`${h} Ready`));
  }, { timeoutMs: 20_000, intervalMs: 250 });
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
  // The given root and its key (SEC1, as cfssl writes it) are cfssl A's: the next test has A sign with it too.
  const out = await run('h1', 'swarm', 'ca', '--rotate', '--ca-cert', cfsslA.caCertPath, '--ca-key', cfsslA.caKeyPath);
  assert.ok(sameCert(out.match(/-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----/)![0], cfsslA.caPem), 'the given root is the swarm\'s now');
  assert.deepEqual(await tlsStatus(), HOSTS.map((h) => `${h} Ready Ready`));
  for (const h of HOSTS) verifyNodeCertificate(hostCert(h).split(/(?<=-----END CERTIFICATE-----\n?)/)[0]!, cfsslA.caPem);
  // A write on the second manager goes through Raft to the leader; both still see h2 reachable.
  await run('h2', 'network', 'create', '-d', 'overlay', 'after-rotation');
  assert.match(await run('h1', 'network', 'ls', '--format', '{{.Name}}'), /^after-rotation$/m);
  assert.equal(await h2Status('h2'), 'Reachable');
  await run('h1', 'node', 'demote', 'h2');
  // A key that does not match is refused before anything changes.
  const other = await createRootCA();
  const otherPath = join(lab.hostDir('h1'), 'other.pem');
  writeFileSync(otherPath, other.certPem);
  assert.match(await fails('h1', 'swarm', 'ca', '--rotate', '--ca-cert', otherPath, '--ca-key', cfsslA.caKeyPath), /does not match the CA certificate/);
  passed++;
});

test('external CAs on a running swarm (real cfssl): swarm update --external-ca signs new nodes; swarm ca --rotate to a root only cfssl holds', async () => {
  // The swarm holds root A's key; with cfssl A named for it, managers have cfssl sign instead.
  await run('h1', 'swarm', 'update', '--external-ca', `protocol=cfssl,url=${cfsslA.url}`);
  assert.match(await run('h1', 'info', '--format', '{{json .Swarm.Cluster.Spec.CAConfig.ExternalCAs}}'), new RegExp(`"URL":"${cfsslA.url}/?"`));
  const oldH3 = await nodeId('h3');
  await run('h3', 'swarm', 'leave');
  await run('h1', 'node', 'rm', '--force', oldH3);
  await joinWorkers(['h3']);
  await assertSignedBy(cfsslA, 'h3', 'worker');

  // A new root whose key only an external CA holds: refused up front while that CA cannot be reached.
  const toB = (url: string) => ['swarm', 'ca', '--rotate', '--ca-cert', cfsslB.caCertPath, '--external-ca', `protocol=cfssl,url=${url},cacert=${cfsslB.caCertPath}`];
  assert.match(await fails('h1', ...toB(deadCA())), new RegExp(`none could be reached \\(${deadCA().replace(/\./g, '\\.')}/api/v1/cfssl/sign: connect ECONNREFUSED`));
  assert.match(await run('h1', 'info', '--format', '{{.Swarm.Cluster.RootRotationInProgress}}'), /false/);
  // With cfssl B up, the rotation goes through: root A cross-signs B, and every node's new certificate comes from cfssl B.
  const started = Date.now();
  await run('h1', ...toB(cfsslB.url));
  console.log(`root rotation to cfssl B's root on 3 hosts: ${Date.now() - started} ms`);
  assert.ok(sameCert((await run('h1', 'swarm', 'ca')).trim(), cfsslB.caPem), 'cfssl B\'s root is the swarm\'s');
  assert.deepEqual(await tlsStatus(), HOSTS.map((h) => `${h} Ready Ready`));
  await assertSignedBy(cfsslB, 'h1', 'manager');
  for (const h of ['h2', 'h3']) await assertSignedBy(cfsslB, h, 'worker');
  // The swarm holds no key for B: an update that leaves it no reachable CA is refused.
  assert.match(await fails('h1', 'swarm', 'update', '--external-ca', `protocol=cfssl,url=${deadCA()}`), /no key for the current root CA, so an external CA must sign with it, but none could be reached/);
  passed++;
});

test('swarm init --external-ca (real cfssl): every node\'s certificate comes from it; an unreachable CA is named in the error', async () => {
  for (const h of ['h2', 'h3']) await run(h, 'swarm', 'leave');
  await run('h1', 'swarm', 'leave', '--force');
  const addr = lab.host('h1').address;
  const init = (cfssl: Cfssl) => ['swarm', 'init', '--advertise-addr', addr, '--dispatcher-heartbeat', '1s', '--external-ca', `protocol=cfssl,url=${cfssl.url},cacert=${cfssl.caCertPath}`];
  // The first manager has no certificate yet to show a CA with mutual TLS.
  assert.match(await fails('h1', ...init(cfsslB)), /could not be reached \(it asks for a client certificate, and a manager has none before the swarm exists/);
  await run('h1', ...init(cfsslA));
  assert.ok(sameCert((await run('h1', 'swarm', 'ca')).trim(), cfsslA.caPem), 'the external CA\'s root is the swarm\'s');
  await assertSignedBy(cfsslA, 'h1', 'manager');
  await joinWorkers(['h2']);
  await assertSignedBy(cfsslA, 'h2', 'worker');

  await cfsslA.process.stop(5000);
  const token = (await run('h1', 'swarm', 'join-token', '-q', 'worker')).trim();
  assert.match(await fails('h3', 'swarm', 'join', '--token', token, manager()), new RegExp(`external CA at ${cfsslA.url.replace(/\./g, '\\.')}/api/v1/cfssl/sign could not be reached`));
  passed++;
});
