import { test } from 'node:test';
import assert from 'node:assert/strict';
import { proxyHeader } from '../../../src/mesh/proxy-protocol/header.js';
import { portLabelError, portLabelValue } from '../../../src/cluster/endpoints/port-labels.js';
import { PROXY_PROTOCOL_LABEL } from '../../../src/cluster/endpoints/proxy-protocol.js';
import { planDataPlane } from '../../../src/mesh/dataplane/plan.js';
import { listenerLayout } from '../../../src/mesh/dataplane/userspace/layout.js';
import { splitProxied } from '../../../src/mesh/dataplane/nftables/proxied-ports.js';
import { ingressPort, service, table, task } from './table-fixture.js';
import { parseProxyHeader } from '../../lab/mesh/proxy-header.js';

const client = { ip: '192.168.1.20', port: 40001 };
const entry = { ip: '10.1.0.2', port: 8080 };

test('a v1 header is the text line haproxy specifies', () => {
  assert.equal(proxyHeader('v1', client, entry).toString(), 'PROXY TCP4 192.168.1.20 10.1.0.2 40001 8080\r\n');
});

test('a v2 header is the signature, PROXY over TCP4, 12 bytes of addresses and ports', () => {
  const h = proxyHeader('v2', client, entry);
  assert.equal(
    h.toString('hex'),
    '0d0a0d0a000d0a515549540a' + '21' + '11' + '000c' + 'c0a80114' + '0a010002' + '9c41' + '1f90',
  );
});

test('a header reads back as it was written, whole or not yet', () => {
  for (const v of ['v1', 'v2'] as const) {
    const h = proxyHeader(v, client, entry);
    const withData = Buffer.concat([h, Buffer.from('GET / HTTP/1.0\r\n')]);
    assert.deepEqual(parseProxyHeader(withData), { version: v, client, entry, length: h.length });
    assert.equal(parseProxyHeader(h.subarray(0, h.length - 1)), undefined, `${v} cut short`);
  }
  assert.throws(() => parseProxyHeader(Buffer.from('GET / HTTP/1.0\r\n')), /no PROXY TCP4 header/);
});

const ports = [
  { protocol: 'tcp', publishedPort: 8080 },
  { protocol: 'udp', publishedPort: 5353 },
];

test('labels name a version per published TCP port', () => {
  const labels = { 'shoal.proxy-protocol.8080': 'v2', other: 'x' };
  assert.equal(portLabelError(PROXY_PROTOCOL_LABEL, labels, ports), undefined);
  assert.deepEqual(ports.map((p) => portLabelValue(PROXY_PROTOCOL_LABEL, labels, p)), ['v2', undefined]);
});

const refusal = (labels: Record<string, string>) => portLabelError(PROXY_PROTOCOL_LABEL, labels, ports)!;

test('a label with another version, or for a port not published over TCP, is refused naming the fix', () => {
  assert.match(refusal({ 'shoal.proxy-protocol.8080': 'v3' }), /invalid label shoal\.proxy-protocol\.8080=v3: the PROXY protocol version is v1 or v2/);
  assert.match(refusal({ 'shoal.proxy-protocol.9999': 'v1' }), /publishes no TCP port 9999 .*label a published TCP port \(8080\) or remove the label/);
  assert.match(refusal({ 'shoal.proxy-protocol.5353': 'v1' }), /publishes no TCP port 5353 \(the PROXY protocol is TCP only\)/);
  assert.match(refusal({ 'shoal.proxy-protocol.8080/tcp': 'v1' }), /publishes no TCP port 8080\/tcp/);
});

test("a port's PROXY protocol makes its own userspace route, and leaves the kernel's ports", () => {
  const svc = service('web', [{ ...ingressPort('tcp', 8080, 80), proxyProtocol: 'v1' as const }, ingressPort('tcp', 8081, 81)], {});
  const plan = planDataPlane(table([svc], [task('t1', 'web', 'n1', { ing: '10.0.0.11/24' })]), 'n1');
  assert.deepEqual(plan.ports.map((p) => [p.port, p.proxyProtocol]), [[8080, 'v1'], [8081, undefined]]);
  const { routes } = listenerLayout(plan);
  assert.equal(routes.get('tcp/8080>80+proxy-v1')?.proxyProtocol, 'v1');
  assert.equal(routes.get('tcp/8081>81')?.proxyProtocol, undefined);
  const { kernel, proxied } = splitProxied(plan);
  assert.deepEqual(kernel.ports.map((p) => p.port), [8081]);
  assert.deepEqual(proxied.ports.map((p) => p.port), [8080]);
  assert.deepEqual(proxied.vips, []);
});
