import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sleep } from '../../../src/util/clock.js';
import { withLab } from '../index.js';
import { MeshHost } from './mesh-host-client.js';
import { WEB } from './services.js';
import { MeshLab, type MeshService, type MeshTask } from './topology.js';

const notRoot = process.getuid?.() !== 0 && 'needs root';
const web: MeshService = { ...WEB, ports: WEB.ports.filter((p) => p.protocol === 'tcp') };
/** Host losses in one lab (h3 healed and given a new task between them). */
const ROUNDS = 3;
/** How long the managers take to mark a lost host Down (e2e: 3.3-7.3 s): its task stays in the tables meanwhile. */
const DOWN_AFTER_MS = 3000;

// A bounded load of requests (the tasks answer once they read one) through the userspace proxies
// of h1 and h2 to a task on h2 and one on h3; h3 is lost (partitioned: its packets vanish, and its
// task is killed), and the tables drop its task a few seconds later, as the managers would once it
// is Down. Requests in flight on h3, or sent to it meanwhile, move to h2's task: none may fail.
describe('the userspace mesh losing a host under load', { skip: notRoot }, () => {
  it('moves every request sent to the lost host to another task', async (t) => {
    await withLab({ hosts: 3 }, async (lab) => {
      const mesh = new MeshLab(lab);
      await mesh.setUpHosts();
      const survivor = await mesh.addTask({ name: 'w2', service: web, host: 'h2', tcp: [80], answer: 'request' });
      const hosts = [await MeshHost.start(lab, 'h1', 'userspace'), await MeshHost.start(lab, 'h2', 'userspace')];
      let version = 0;
      const publish = async (serving: MeshTask[]) => {
        const table = mesh.table(++version, [web], serving);
        await Promise.all(hosts.map((h) => h.apply(table)));
      };
      for (let round = 1; round <= ROUNDS; round++) {
        const lost = await mesh.addTask({ name: `w3r${round}`, service: web, host: 'h3', tcp: [80], answer: 'request' });
        await mesh.linkOverlay();
        await publish([survivor, lost]);
        const stopFile = join(lab.hostDir('h1'), `stop-${round}`);
        const targets = ['h1', 'h2'].map((h) => ({ host: lab.host(h).address, port: 8080 }));
        const load = await mesh.startProbe({ mode: 'load', proto: 'tcp', targets, concurrency: 4, durationMs: 60_000, timeoutMs: 8000, stopFile, request: 'who?\n' });
        await load.started();
        await sleep(700);
        await lab.partition('h3');
        await mesh.killServer(lost);
        await sleep(DOWN_AFTER_MS);
        await publish([survivor]);
        await sleep(1500);
        writeFileSync(stopFile, '');
        const r = await load.result();
        const total = r.failures + Object.values(r.counts).reduce((a, b) => a + b, 0);
        const report = `round ${round}: ${total} requests, ${r.failures} failed${r.failures ? ` (${r.errors.slice(0, 4).join('; ')})` : ''}, ${r.slow} slow; by task ${JSON.stringify(r.counts)}`;
        t.diagnostic(report);
        assert.ok(r.counts[lost.name], `the lost task answered before the loss: ${report}`);
        assert.equal(r.failures, 0, report);
        await lab.heal('h3');
      }
    });
  });
});
