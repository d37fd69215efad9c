import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type TLSSocket } from 'node:tls';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRootCA, generateNodeKey, issueNodeCertificate, verifyNodeCertificate } from '../../../src/cluster/ca/certificates.js';
import { crossSignRoot } from '../../../src/cluster/ca/cross-sign.js';
import { createCsr } from '../../../src/cluster/ca/csr.js';
import { signNodeCertificate } from '../../../src/cluster/ca/signer.js';
import { asClusterRootCA, nodeTLSInfo, trustedRoots } from '../../../src/cluster/ca/root-ca.js';
import { plannedRootCA } from '../../../src/cluster/controlapi/ca-config.js';
import { finishRootRotation } from '../../../src/cluster/membership/root-rotation.js';
import { bootstrapCluster } from '../../../src/cluster/membership/bootstrap.js';
import { parseJoinToken, caDigest } from '../../../src/cluster/membership/join-token.js';
import { certDer } from '../../../src/cluster/ca/certificates.js';
import { LocalStore } from '../../../src/cluster/store/index.js';
import { mutable } from '../../../src/cluster/store/index.js';
import { silentLogger } from '../../../src/util/logger.js';

const DAY = 24 * 3600 * 1000;

async function rotation() {
  const oldRoot = await createRootCA();
  const newRoot = await createRootCA();
  const cross = await crossSignRoot(oldRoot, newRoot.certPem);
  const key = generateNodeKey();
  const leaf = await issueNodeCertificate(newRoot, { nodeId: 'n1', role: 'worker', clusterId: 'c1', publicKeyPem: key.publicKeyPem, validityMs: DAY });
  return { oldRoot, newRoot, cross, key, leaf };
}

test('a certificate from the new root chains to the old root only through the cross-signed new root', async () => {
  const { oldRoot, newRoot, cross, leaf } = await rotation();
  assert.equal(verifyNodeCertificate(leaf, newRoot.certPem).nodeId, 'n1', 'the new root vouches for it directly');
  assert.equal(verifyNodeCertificate(`${leaf}${cross}`, oldRoot.certPem).nodeId, 'n1', 'the old root, through the cross-signed certificate');
  assert.throws(() => verifyNodeCertificate(leaf, oldRoot.certPem), /not issued by this cluster's CA/, 'not the old root alone');
  const stranger = await createRootCA();
  const foreignCross = await crossSignRoot(stranger, newRoot.certPem);
  assert.throws(() => verifyNodeCertificate(`${leaf}${foreignCross}`, oldRoot.certPem), /not issued by this cluster's CA/, 'a cross-signature by another root does not help');
  assert.equal(verifyNodeCertificate(leaf, `${oldRoot.certPem}${newRoot.certPem}`).nodeId, 'n1', 'a bundle of both roots');
});

/** A TLS handshake in both directions: the server presents `serverChain`, the client `clientChain`; each trusts its own roots. */
async function handshake(serverChain: string, serverKey: string, serverTrust: string, clientChain: string, clientKey: string, clientTrust: string) {
  const server = createServer({ cert: serverChain, key: serverKey, ca: serverTrust, requestCert: true, rejectUnauthorized: false });
  const serverSide = new Promise<boolean>((resolve) =>
    server.on('secureConnection', (s: TLSSocket) => {
      resolve(s.authorized);
      s.end();
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  try {
    const client = await new Promise<TLSSocket>((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port, cert: clientChain, key: clientKey, ca: clientTrust, checkServerIdentity: () => undefined }, () => resolve(s));
      s.on('error', reject);
    });
    const serverAccepted = await serverSide;
    client.destroy();
    return { clientAccepted: true, serverAccepted };
  } finally {
    server.close();
  }
}

test('TLS: a host that still trusts only the old root and one with a new-root certificate accept each other', async () => {
  const { oldRoot, newRoot, cross, key, leaf } = await rotation();
  const oldKey = generateNodeKey();
  const oldLeaf = await issueNodeCertificate(oldRoot, { nodeId: 'n2', role: 'manager', clusterId: 'c1', publicKeyPem: oldKey.publicKeyPem, validityMs: DAY });
  const both = `${oldRoot.certPem}${newRoot.certPem}`;
  // The rotated host serves leaf + cross-signed + old root (what the cluster port presents); the other trusts the old root only.
  const r = await handshake(`${leaf}${cross}${oldRoot.certPem}`, key.privateKeyPem, both, `${oldLeaf}${oldRoot.certPem}`, oldKey.privateKeyPem, oldRoot.certPem);
  assert.deepEqual(r, { clientAccepted: true, serverAccepted: true });
  const back = await handshake(`${oldLeaf}${oldRoot.certPem}`, oldKey.privateKeyPem, oldRoot.certPem, `${leaf}${cross}`, key.privateKeyPem, both);
  assert.deepEqual(back, { clientAccepted: true, serverAccepted: true });
  // After the switch: trusting only the new root, a chain that still carries the cross-signed certificate is accepted.
  const after = await handshake(`${leaf}${cross}${newRoot.certPem}`, key.privateKeyPem, newRoot.certPem, `${leaf}${cross}`, key.privateKeyPem, newRoot.certPem);
  assert.deepEqual(after, { clientAccepted: true, serverAccepted: true });
});

test('plannedRootCA: ForceRotate or a new given root starts a cross-signed rotation; the same spec changes nothing', async () => {
  const current = asClusterRootCA(await createRootCA());
  assert.equal(await plannedRootCA(current, { NodeCertExpiry: 1, ForceRotate: 0 }, undefined), undefined);
  const forced = await plannedRootCA(current, { ForceRotate: 1 }, undefined);
  assert.ok(forced?.RootRotation?.CAKey, 'a new root with its key');
  assert.equal(forced.LastForcedRotation, 1);
  assert.equal(forced.CACert, current.CACert, 'the current root stays until every node rotated');
  assert.equal(verifyNodeCertificate(`${await issueNodeCertificate({ certPem: forced.RootRotation.CACert, keyPem: forced.RootRotation.CAKey }, { nodeId: 'x', role: 'worker', clusterId: 'c', publicKeyPem: generateNodeKey().publicKeyPem, validityMs: DAY })}${forced.RootRotation.CrossSignedCACert}`, current.CACert).nodeId, 'x');
  assert.equal(await plannedRootCA(forced, { ForceRotate: 1 }, undefined), undefined, 'already rotating to it');
  assert.equal((await plannedRootCA(forced, { ForceRotate: 1, SigningCACert: current.CACert }, undefined))?.RootRotation, undefined, 'the current root again cancels');

  const given = await createRootCA();
  const toGiven = await plannedRootCA(current, { SigningCACert: given.certPem, SigningCAKey: given.keyPem }, undefined);
  assert.equal(toGiven?.RootRotation?.CACert.trim(), given.certPem.trim());
  const other = await createRootCA();
  await assert.rejects(plannedRootCA(current, { SigningCACert: given.certPem, SigningCAKey: other.keyPem }, undefined), /does not match the CA certificate/);
  await assert.rejects(plannedRootCA(current, { SigningCACert: given.certPem }, undefined), /needs an external CA that signs with it/);
  await assert.rejects(plannedRootCA(current, { SigningCAKey: given.keyPem }, undefined), /signing CA cert must also be provided/);
  // A root whose key the swarm never sees needs an external CA that answers (e2e/root-ca rotates to one with the real cfssl).
  const external = [{ Protocol: 'cfssl', URL: 'https://127.0.0.1:1/', CACert: given.certPem }];
  await assert.rejects(plannedRootCA(current, { SigningCACert: given.certPem }, external), /no key for the desired root CA, so an external CA must sign with it, but none could be reached \(https:\/\/127\.0\.0\.1:1\/api\/v1\/cfssl\/sign: connect ECONNREFUSED/);
});

test('during a rotation nodes get new-root certificates with the cross-signed root; the rotation ends when every node reports one', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'shoal-rotation-'));
  const store = LocalStore.open(dir, silentLogger);
  try {
    const root = asClusterRootCA(await createRootCA());
    const facts = { hostname: 'm', ncpu: 1, memoryBytes: 1e9, kernelVersion: '6', os: 'linux', architecture: 'x86_64' };
    await store.update((tx) => bootstrapCluster(tx, { nodeId: 'm1', clusterId: 'c1', rootCA: root, advertiseAddr: '127.0.0.1', listenAddr: '127.0.0.1:2377', facts }));
    const planned = (await plannedRootCA(root, { ForceRotate: 1 }, undefined))!;
    await store.update((tx) => {
      const c = mutable(tx.list('cluster')[0]!);
      c.RootCA = planned;
      tx.update('cluster', c);
    });
    assert.deepEqual((await store.update((tx) => finishRootRotation(tx)))?.map((n) => n.ID), ['m1'], 'waits for the node');

    const key = generateNodeKey();
    const signed = await signNodeCertificate(planned, undefined, { nodeId: 'm1', role: 'manager', clusterId: 'c1', csrPem: await createCsr(key.privateKeyPem), validityMs: DAY });
    assert.equal(signed.trustPem, trustedRoots(planned));
    assert.equal(signed.certPem.match(/BEGIN CERTIFICATE/g)?.length, 2, 'leaf and cross-signed root');
    verifyNodeCertificate(signed.certPem, root.CACert);
    const oldTokens = store.view((tx) => tx.list('cluster')[0]!.JoinTokens);
    await store.update((tx) => {
      const n = mutable(tx.get('nodes', 'm1')!);
      n.Description.TLSInfo = nodeTLSInfo(signed.certPem, signed.trustPem);
      tx.update('nodes', n);
    });
    assert.deepEqual(await store.update((tx) => finishRootRotation(tx)), []);
    const after = store.view((tx) => tx.list('cluster')[0]!);
    assert.equal(after.RootCA?.CACert, planned.RootRotation!.CACert, 'the new root is the only one');
    assert.equal(after.RootCA?.RootRotation, undefined);
    assert.equal(after.RootRotationInProgress, false);
    assert.equal(after.TLSInfo.TrustRoot, planned.RootRotation!.CACert);
    assert.notEqual(after.JoinTokens.Worker, oldTokens.Worker);
    assert.equal(parseJoinToken(after.JoinTokens.Worker).caDigest, caDigest(certDer(planned.RootRotation!.CACert)), 'tokens carry the new root\'s digest');
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
