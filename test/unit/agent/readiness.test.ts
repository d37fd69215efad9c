import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { readinessTargets, waitAccepting } from '../../../src/agent/readiness.js';
import type { ServiceEndpoint } from '../../../src/cluster/endpoints/types.js';
import type { TaskObject } from '../../../src/cluster/types.js';

const attachment = (name: string, ingress: boolean, address: string) => ({ Network: { ID: name, Spec: { Name: name, Ingress: ingress } } as never, Addresses: [address] });
const service = (ports: ServiceEndpoint['ports']): ServiceEndpoint => ({ serviceId: 's', name: 'web', mode: 'vip', ports, vips: {}, aliases: {}, networks: [] });

test('readiness targets: the task\'s ingress address with each TCP target port it publishes; none without one', () => {
  const task = { NetworksAttachments: [attachment('appnet', false, '10.0.1.4/24'), attachment('ingress', true, '10.0.0.9/24')] } as unknown as TaskObject;
  const ports = service([
    { protocol: 'tcp', targetPort: 80, publishedPort: 8080, mode: 'ingress' },
    { protocol: 'tcp', targetPort: 80, publishedPort: 8081, mode: 'ingress' },
    { protocol: 'udp', targetPort: 53, publishedPort: 53, mode: 'ingress' },
    { protocol: 'tcp', targetPort: 443, publishedPort: 8443, mode: 'host' },
  ]);
  assert.deepEqual(readinessTargets(task, ports), [{ host: '10.0.0.9', port: 80 }, { host: '10.0.0.9', port: 443 }]);
  assert.deepEqual(readinessTargets(task, service([])), [], 'a VIP forwards any port: nothing to wait for');
  assert.deepEqual(readinessTargets(task, undefined), []);
  assert.deepEqual(readinessTargets({ NetworksAttachments: [attachment('appnet', false, '10.0.1.4/24')] } as unknown as TaskObject, ports).map((t) => t.host), ['10.0.1.4', '10.0.1.4']);
  assert.deepEqual(readinessTargets({} as unknown as TaskObject, ports), []);
});

test('waiting for a task to accept connections: done once it listens, false at the bound or when cancelled', async () => {
  const server: Server = createServer((s) => s.destroy());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  // Nothing listens yet: the wait goes on until the process does.
  let listening = false;
  const later = setTimeout(() => server.listen(port, '127.0.0.1', () => (listening = true)), 300);
  try {
    assert.equal(await waitAccepting([{ host: '127.0.0.1', port }], 10_000), true);
    assert.equal(listening, true, 'it returned only once the port accepted');
    await new Promise<void>((r) => server.close(() => r()));
    assert.equal(await waitAccepting([{ host: '127.0.0.1', port }], 300), false, 'never listening: false at the bound');
    assert.equal(await waitAccepting([{ host: '127.0.0.1', port }], 10_000, () => true), false, 'cancelled (the task is stopping)');
    assert.equal(await waitAccepting([], 10), true);
  } finally {
    clearTimeout(later);
    server.close();
  }
});
