import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sleep } from '../../../src/util/clock.js';
import { createLab, type Lab } from '../index.js';
import { MeshHost } from './mesh-host-client.js';
import { dumpingLogs } from './services.js';
import { INGRESS, MeshLab, type MeshService, type MeshTask } from './topology.js';

const notRoot = process.getuid?.() !== 0 && 'needs root';

/** Three published TCP ports: one sends a v1 header, one a v2 header, one none. */
const PROXIED: MeshService = {
  serviceId: 'svcproxied',
  name: 'proxied',
  ports: [
    { protocol: 'tcp', targetPort: 81, publishedPort: 8081, mode: 'ingress', proxyProtocol: 'v1' },
    { protocol: 'tcp', targetPort: 82, publishedPort: 8082, mode: 'ingress', proxyProtocol: 'v2' },
    { protocol: 'tcp', targetPort: 83, publishedPort: 8083, mode: 'ingress' },
  ],
  networks: [INGRESS],
  vipOctet: 110,
};
const LINE = 'a line from the client, after any header';

for (const kind of ['userspace', 'nftables'] as const) {
  describe(`the PROXY protocol on published ports (${kind})`, { skip: notRoot }, () => {
    let lab: Lab;
    let mesh: MeshLab;
    let dp: MeshHost;
    let addr: string;
    let client: string;
    const tasks: MeshTask[] = [];
    const step = dumpingLogs(() => lab);

    before(async () => {
      lab = await createLab({ hosts: 1 });
      mesh = new MeshLab(lab);
      await mesh.setUpHosts();
      for (const n of ['p1', 'p2']) tasks.push(await mesh.addTask({ name: n, service: PROXIED, host: 'h1', tcp: [81, 82, 83], answer: 'proxy' }));
      dp = await MeshHost.start(lab, 'h1', kind);
      assert.equal(dp.kind, kind);
      addr = lab.host('h1').address;
      client = lab.labHost.address; // the outside world
      await dp.apply(mesh.table(1, [PROXIED], tasks));
    });
    after(() => lab?.destroy());

    /** What the tasks said of two connections from the lab namespace to published `port`, from local ports `from` and `from + 1` (round robin: one each). */
    const seen = async (port: number, from: number) => {
      const answers: string[] = [];
      for (const localPort of [from, from + 1]) {
        const r = await mesh.probe('lab', { mode: 'count', proto: 'tcp', targets: [{ host: addr, port }], n: 1, localPort, request: `${LINE}\n` });
        assert.equal(r.failures, 0, JSON.stringify(r));
        answers.push(...Object.keys(r.counts));
      }
      // Which task took which connection is the balancer's business: both answered, each told of its own.
      assert.deepEqual(answers.map((a) => a.split(' ')[0]).sort(), ['p1', 'p2'], answers.join('; '));
      return answers.map((a) => a.slice(a.indexOf(' ') + 1)).sort();
    };

    it('sends each backend a v1 header with the client address and port, then the client bytes', step(async () => {
      assert.deepEqual(await seen(8081, 41081), [`v1 ${client}:41081 ${addr}:8081 ${LINE}`, `v1 ${client}:41082 ${addr}:8081 ${LINE}`]);
    }));

    it('sends each backend a v2 header with the client address and port, then the client bytes', step(async () => {
      assert.deepEqual(await seen(8082, 42082), [`v2 ${client}:42082 ${addr}:8082 ${LINE}`, `v2 ${client}:42083 ${addr}:8082 ${LINE}`]);
    }));

    it('sends no header on a port without the option', step(async () => {
      assert.deepEqual(await seen(8083, 43083), [`none ${LINE}`, `none ${LINE}`]);
    }));

    it('does not count the header as client bytes', step(async () => {
      const sent = 2 * (LINE.length + 1);
      let stats = await dp.stats();
      for (let i = 0; i < 40 && stats.find((e) => e.entry === 'tcp/8081')?.bytesIn !== sent; i++) {
        await sleep(50);
        stats = await dp.stats();
      }
      assert.equal(stats.find((e) => e.entry === 'tcp/8081')?.bytesIn, sent, JSON.stringify(stats));
    }));

    it('sends the header again first when a connection moves to another backend (one that hung up before answering)', step(async () => {
      const p3 = await mesh.addTask({ name: 'p3', service: PROXIED, host: 'h1', tcp: [81, 82, 83], answer: 'hangup' });
      await dp.apply(mesh.table(2, [PROXIED], [...tasks, p3]));
      const answers: string[] = [];
      for (const localPort of [44082, 44083, 44084]) {
        const r = await mesh.probe('lab', { mode: 'count', proto: 'tcp', targets: [{ host: addr, port: 8082 }], n: 1, localPort, request: `${LINE}\n` });
        assert.equal(r.failures, 0, JSON.stringify(r));
        answers.push(...Object.keys(r.counts).map((a) => a.slice(a.indexOf(' ') + 1)));
      }
      assert.deepEqual(answers, [44082, 44083, 44084].map((p) => `v2 ${client}:${p} ${addr}:8082 ${LINE}`));
      const entry = (await dp.stats()).find((e) => e.entry === 'tcp/8082');
      assert.ok(entry && entry.retries >= 1, `a connection moved off p3: ${JSON.stringify(entry)}`);
    }));

    if (kind === 'nftables') {
      it('serves the ports with a header by the userspace proxy, the other by the kernel, and says so', step(async () => {
        assert.match(dp.process.output(), /published ports served by the userspace proxy, not nftables, to send the PROXY protocol header: tcp\/8081 \(proxied, PROXY protocol v1\), tcp\/8082 \(proxied, PROXY protocol v2\)/);
        const stats = await dp.stats();
        const byEntry = Object.fromEntries(stats.map((s) => [s.entry, s.connections]));
        assert.deepEqual(byEntry, { 'tcp/8081': 2, 'tcp/8082': 5, 'tcp/8083': 2 }, JSON.stringify(stats));
      }));
    }
  });
}
