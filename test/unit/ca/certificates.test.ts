import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { createRootCA, generateNodeKey, issueNodeCertificate, verifyNodeCertificate } from '../../../src/cluster/ca/certificates.js';

const DAY = 24 * 3600 * 1000;

test('node certificates carry the node, its role and the cluster, and verify only against their CA', async () => {
  const ca = await createRootCA();
  const other = await createRootCA();
  const key = generateNodeKey();
  const pem = await issueNodeCertificate(ca, { nodeId: 'n1', role: 'manager', clusterId: 'c1', publicKeyPem: key.publicKeyPem, validityMs: 90 * DAY });
  const id = verifyNodeCertificate(pem, ca.certPem);
  assert.equal(id.nodeId, 'n1');
  assert.equal(id.role, 'manager');
  assert.equal(id.clusterId, 'c1');
  assert.ok(id.notAfter.getTime() > Date.now() + 89 * DAY);
  assert.match(new X509Certificate(pem).subjectAltName ?? '', /DNS:swarm-manager/);
  assert.throws(() => verifyNodeCertificate(pem, other.certPem), /not issued by this cluster's CA/);
  assert.throws(() => verifyNodeCertificate(pem, ca.certPem, Date.now() + 91 * DAY), /not valid now/);
  const worker = await issueNodeCertificate(ca, { nodeId: 'n2', role: 'worker', clusterId: 'c1', publicKeyPem: generateNodeKey().publicKeyPem, validityMs: DAY });
  assert.equal(verifyNodeCertificate(worker, ca.certPem).role, 'worker');
  assert.ok(new X509Certificate(ca.certPem).ca);
});
