import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createLab, type Lab } from '../index.js';
import { MeshHost } from './mesh-host-client.js';
import { dumpingLogs, WEB } from './services.js';
import { MeshLab, type MeshService, type MeshTask } from './topology.js';
import type { ProbeResult } from './probe.js';

const notRoot = process.getuid?.() !== 0 && 'needs root';
const names = (r: ProbeResult) => Object.keys(r.counts).sort();
/** web with client-IP affinity on both its published ports (the label shoal.affinity.<port>=10m). */
const STICKY: MeshService = { ...WEB, ports: WEB.ports.map((p) => ({ ...p, affinity: 600 })) };

for (const kind of ['nftables', 'userspace'] as const) {
  describe(`client-IP affinity of a published port (${kind})`, { skip: notRoot }, () => {
    let lab: Lab;
    let mesh: MeshLab;
    let dp: MeshHost;
    let version = 0;
    let addr: string;
    /** Two client addresses in the outside world (the lab namespace). */
    let clients: [string, string];
    const tasks: MeshTask[] = [];
    const step = dumpingLogs(() => lab);
    const apply = (service: MeshService, serving: MeshTask[]) => dp.apply(mesh.table(++version, [service], serving));
    const count = (proto: 'tcp' | 'udp', localAddress: string, n = 9) =>
      mesh.probe('lab', { mode: 'count', proto, targets: [{ host: addr, port: proto === 'tcp' ? 8080 : 5353 }], n, localAddress });

    before(async () => {
      lab = await createLab({ hosts: 1 });
      mesh = new MeshLab(lab);
      await mesh.setUpHosts();
      for (const n of ['w1', 'w2', 'w3']) tasks.push(await mesh.addTask({ name: n, service: WEB, host: 'h1', tcp: [80], udp: [53] }));
      dp = await MeshHost.start(lab, 'h1', kind);
      assert.equal(dp.kind, kind);
      addr = lab.host('h1').address;
      const outside = lab.host('lab').address;
      const second = outside.replace(/\.\d+$/, '.253');
      await lab.exec('lab', 'ip', ['addr', 'add', `${second}/24`, 'dev', 'underlay']);
      clients = [outside, second];
    });
    after(() => lab?.destroy());

    it('without the label, one client is balanced over every task', step(async () => {
      await apply(WEB, tasks);
      for (const proto of ['tcp', 'udp'] as const) {
        const r = await count(proto, clients[0]);
        assert.deepEqual(r.counts, { w1: 3, w2: 3, w3: 3 }, `${proto}: ${JSON.stringify(r)}`);
      }
    }));

    it("with it, a client's new connections all reach one task; another client is balanced on its own", step(async () => {
      await apply(STICKY, tasks);
      for (const proto of ['tcp', 'udp'] as const) {
        const [a, b] = [await count(proto, clients[0]), await count(proto, clients[1])];
        assert.equal(names(a).length, 1, `${proto} client A: ${JSON.stringify(a)}`);
        assert.equal(a.failures, 0);
        assert.equal(names(b).length, 1, `${proto} client B: ${JSON.stringify(b)}`);
        // Balanced on its own: B's first connection took the next task by round robin, not A's.
        assert.notDeepEqual(names(a), names(b), `${proto}: A and B both went to ${names(a)[0]}`);
      }
    }));

    it("after the client's task leaves the table, its new connections go to one other task", step(async () => {
      for (const proto of ['tcp', 'udp'] as const) {
        const before = names(await count(proto, clients[0], 1))[0]!;
        await apply(STICKY, tasks.filter((t) => t.name !== before));
        const r = await count(proto, clients[0]);
        assert.equal(names(r).length, 1, `${proto}: ${JSON.stringify(r)}`);
        assert.notEqual(names(r)[0], before, `${proto}: still sent to ${before}, which left`);
        assert.equal(r.failures, 0, JSON.stringify(r));
      }
    }));
  });
}
