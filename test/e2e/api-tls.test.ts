import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { exec } from '../../src/util/exec.js';
import { withLab, dockerCli } from '../lab/index.js';
import { ShoaldInHost } from './shoald-harness.js';

/** A throwaway CA with a server certificate for `ip` and a client certificate, made with openssl. */
async function makeCertificates(dir: string, ip: string): Promise<Record<'ca' | 'serverCert' | 'serverKey' | 'clientCert' | 'clientKey', string>> {
  const f = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => exec('openssl', args);
  await openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', f('ca-key.pem'), '-out', f('ca.pem'), '-days', '1', '-subj', '/CN=shoal-test-ca');
  for (const [name, ext] of [['server', `subjectAltName=IP:${ip}\nextendedKeyUsage=serverAuth`], ['client', 'extendedKeyUsage=clientAuth']] as const) {
    await openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', f(`${name}-key.pem`), '-out', f(`${name}.csr`), '-subj', `/CN=${name}`);
    await exec('sh', ['-c', `printf '${ext}\\n' > ${f(`${name}.ext`)}`]);
    await openssl('x509', '-req', '-in', f(`${name}.csr`), '-CA', f('ca.pem'), '-CAkey', f('ca-key.pem'), '-CAcreateserial', '-out', f(`${name}.pem`), '-days', '1', '-extfile', f(`${name}.ext`));
  }
  return { ca: f('ca.pem'), serverCert: f('server.pem'), serverKey: f('server-key.pem'), clientCert: f('client.pem'), clientKey: f('client-key.pem') };
}

test('the Engine API on TCP needs a client certificate from the given CA', async () => {
  await withLab({ hosts: 1 }, async (lab) => {
    const ip = lab.host('h1').address;
    const certs = await makeCertificates(lab.hostDir('h1'), ip);
    const shoald = new ShoaldInHost(lab, 'h1', ['--api-tcp', `${ip}:2376`, '--tlscacert', certs.ca, '--tlscert', certs.serverCert, '--tlskey', certs.serverKey]);
    await shoald.start();
    const tcp = ['-H', `tcp://${ip}:2376`, '--tlscacert', certs.ca];
    const withCert = await lab.exec('h1', dockerCli(), [...tcp, '--tlsverify', '--tlscert', certs.clientCert, '--tlskey', certs.clientKey, 'version', '--format', '{{.Server.APIVersion}}']);
    assert.equal(withCert.stdout.trim(), '1.41');
    // The shoal CLI with docker's TLS flags: verified with a client certificate; refused without one
    const shoal = (...args: string[]) => lab.exec('h1', process.execPath, ['bin/shoal', ...tcp, '--tlsverify', ...args, 'info', '--format', '{{.Swarm.LocalNodeState}}'], { allowFail: true });
    const verified = await shoal('--tlscert', certs.clientCert, '--tlskey', certs.clientKey);
    assert.equal(verified.stdout, 'inactive\n', verified.stderr);
    assert.equal(verified.stderr, '');
    const noCert = await shoal();
    assert.notEqual(noCert.code, 0);
    assert.match(noCert.stderr, /Cannot connect to the Shoal daemon at tcp:\/\/[\d.]+:2376/);
    const anonymous = await lab.exec('h1', 'openssl', ['s_client', '-connect', `${ip}:2376`, '-CAfile', certs.ca], { allowFail: true, input: 'GET /_ping HTTP/1.0\r\n\r\n', timeoutMs: 10_000 });
    assert.doesNotMatch(anonymous.stdout, /HTTP\/1\.[01] 200/, 'no answer without a client certificate');
  });
});
