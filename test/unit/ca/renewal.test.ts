import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRootCA, generateNodeKey, issueNodeCertificate, renewalDelayMs, signRenewal, verifyNodeCertificate } from '../../../src/cluster/ca/certificates.js';
import { LocalStore } from '../../../src/cluster/store/index.js';
import { bootstrapCluster } from '../../../src/cluster/membership/bootstrap.js';
import { caService } from '../../../src/cluster/membership/ca-service.js';
import { ClusterServer } from '../../../src/cluster/rpc/cluster-server.js';
import { RpcClient } from '../../../src/cluster/rpc/client.js';
import { CA_SERVICE, type IssueResponse } from '../../../src/cluster/rpc/services.js';
import { NodeCertificateProvider, clusterClientCredentials } from '../../../src/cluster/rpc/tls.js';
import { silentLogger } from '../../../src/util/logger.js';
import { asClusterRootCA } from '../../../src/cluster/ca/root-ca.js';
import { createCsr } from '../../../src/cluster/ca/csr.js';

const DAY = 24 * 3600 * 1000;

test('renewal falls between 50% and 80% of the lifetime, and at once when that is past', async () => {
  const ca = await createRootCA();
  const now = Date.now();
  const pem = await issueNodeCertificate(ca, { nodeId: 'n', role: 'worker', clusterId: 'c', publicKeyPem: generateNodeKey().publicKeyPem, validityMs: 10 * DAY, now });
  const early = renewalDelayMs(pem, now, 0);
  const late = renewalDelayMs(pem, now, 1);
  assert.ok(early > 4.9 * DAY && early < 5.1 * DAY, `50%: ${early}`);
  assert.ok(late > 7.9 * DAY && late < 8.1 * DAY, `80%: ${late}`);
  assert.equal(renewalDelayMs(pem, now + 9 * DAY, 0.5), 0);
});

test('a node whose certificate expired while it was off renews it; a removed node or another CA cannot', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'shoal-ca-'));
  const store = LocalStore.open(dir, silentLogger);
  const rootCA = await createRootCA();
  const other = await createRootCA();
  const facts = { hostname: 'm', ncpu: 1, memoryBytes: 1e9, kernelVersion: '6', os: 'linux', architecture: 'x86_64' };
  await store.update((tx) => bootstrapCluster(tx, { nodeId: 'manager1', clusterId: 'c1', rootCA: asClusterRootCA(rootCA), advertiseAddr: '127.0.0.1', listenAddr: '127.0.0.1:0', facts }));
  const managerKey = generateNodeKey();
  const managerCreds = { caCertPem: rootCA.certPem, keyPem: managerKey.privateKeyPem, certPem: await issueNodeCertificate(rootCA, { nodeId: 'manager1', role: 'manager', clusterId: 'c1', publicKeyPem: managerKey.publicKeyPem, validityMs: DAY }) };
  const server = new ClusterServer(new NodeCertificateProvider(managerCreds), silentLogger);
  server.add(CA_SERVICE, caService({ store, log: silentLogger, addManager: async () => undefined, identity: () => managerCreds }));
  const port = await server.listen('127.0.0.1:0');
  const renew = async (caPem: string, nodeId: string, now: number) => {
    const key = generateNodeKey();
    const certPem = await issueNodeCertificate({ certPem: caPem, keyPem: caPem === rootCA.certPem ? rootCA.keyPem : other.keyPem }, { nodeId, role: 'worker', clusterId: 'c1', publicKeyPem: key.publicKeyPem, validityMs: DAY, now });
    const client = new RpcClient(CA_SERVICE, `127.0.0.1:${port}`, clusterClientCredentials(rootCA.certPem, { certPem, keyPem: key.privateKeyPem }));
    try {
      const csrPem = await createCsr(key.privateKeyPem);
      const renewal = signRenewal(certPem, key.privateKeyPem, csrPem);
      return await client.call<IssueResponse>('IssueNodeCertificate', { csrPem, hostname: 'w', advertiseAddr: '127.0.0.2', renewal });
    } finally {
      client.close();
    }
  };
  try {
    const twoDaysAgo = Date.now() - 2 * DAY;
    const renewed = await renew(rootCA.certPem, 'manager1', twoDaysAgo);
    assert.equal(verifyNodeCertificate(renewed.certPem, rootCA.certPem).nodeId, 'manager1', 'a fresh certificate for the same node');
    assert.equal(renewed.role, 'manager', 'the role comes from the node object');
    await assert.rejects(renew(rootCA.certPem, 'removed-node', Date.now()), /PermissionDenied.*was removed from the swarm/);
    await assert.rejects(renew(other.certPem, 'manager1', Date.now()), /not issued by this cluster's CA|Connection dropped/, 'a certificate of another swarm gets nothing');
  } finally {
    await server.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
