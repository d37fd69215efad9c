import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withLab } from '../index.js';
import { MeshHost } from './mesh-host-client.js';
import { WEB } from './services.js';
import { INGRESS, MeshLab } from './topology.js';

test('auto picks the userspace data plane where nftables is refused (no CAP_NET_ADMIN), and it serves', { skip: process.getuid?.() !== 0 && 'needs root' }, async () => {
  await withLab({ hosts: 1 }, async (lab) => {
    const mesh = new MeshLab(lab, [INGRESS]);
    await mesh.setUpHosts();
    // Ingress ports only: without privileges, VIPs (local routes) cannot be made.
    const web = { ...WEB, networks: [INGRESS] };
    const task = await mesh.addTask({ name: 'w1', service: web, host: 'h1', tcp: [80], udp: [53] });
    const dp = await MeshHost.start(lab, 'h1', 'auto', { unprivileged: true });
    assert.equal(dp.kind, 'userspace');
    assert.match(dp.process.output(), /data plane: userspace \(probe ruleset refused\)/);
    const table = mesh.table(1, [web], [task]);
    table.services[0]!.vips = {};
    await dp.apply(table);
    const r = await mesh.probe('lab', { mode: 'count', proto: 'tcp', targets: [{ host: lab.host('h1').address, port: 8080 }], n: 2 });
    assert.deepEqual(r.counts, { w1: 2 });
  });
});
