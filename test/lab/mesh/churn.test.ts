import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sleep } from '../../../src/util/clock.js';
import { withLab } from '../index.js';
import { MeshHost } from './mesh-host-client.js';
import { WEB } from './services.js';
import { MeshLab, type MeshService, type MeshTask } from './topology.js';

const notRoot = process.getuid?.() !== 0 && 'needs root';
const web: MeshService = { ...WEB, ports: WEB.ports.filter((p) => p.protocol === 'tcp') };
/** How long a task leaving the table keeps serving before it is stopped (its stop grace period). */
const DRAIN_MS = 300;

// Two hosts over VXLAN and a steady load of new TCP connections on both hosts' published port.
// Phase 1: the service scales 3 → 6 → 2, then a rolling update replaces every task; tasks enter the
// table once serving and leave it before they stop, as the orchestrator and dispatcher order it, so
// no request may fail in either data plane. Phase 2: a task crashes and stays in the table for
// 500 ms (until its failure is noticed): the userspace proxy retries on another backend; in the
// kernel path the dead task's refusals are dropped once, so the clients' SYN retransmits are
// balanced again. Only requests in flight on the crashed task may fail.
for (const kind of ['nftables', 'userspace'] as const) {
  describe(`the mesh under churn (${kind})`, { skip: notRoot }, () => {
    it('keeps a bounded load free of failures while backends come and go, and when a task crashes', async (t) => {
      await withLab({ hosts: 2 }, async (lab) => {
        const mesh = new MeshLab(lab);
        await mesh.setUpHosts();
        let n = 0;
        const start = async () => mesh.addTask({ name: `w${++n}`, service: web, host: n % 2 ? 'h1' : 'h2', tcp: [80] });
        let serving: MeshTask[] = [await start(), await start(), await start()];
        await mesh.linkOverlay();
        const hosts = [await MeshHost.start(lab, 'h1', kind), await MeshHost.start(lab, 'h2', kind)];
        let version = 0;
        const publish = async () => {
          const table = mesh.table(++version, [web], serving);
          await Promise.all(hosts.map((h) => h.apply(table)));
        };
        const retire = async (gone: MeshTask[]) => {
          serving = serving.filter((x) => !gone.includes(x));
          await publish();
          await sleep(DRAIN_MS);
          for (const g of gone) await g.server?.stop();
        };
        const scaleTo = async (to: number) => {
          const fresh: MeshTask[] = [];
          while (serving.length + fresh.length < to) fresh.push(await start());
          await mesh.linkOverlay();
          serving = [...serving, ...fresh];
          await publish();
          if (serving.length > to) await retire(serving.slice(to));
        };
        const underLoad = async (durationMs: number, churn: () => Promise<void>) => {
          const targets = lab.hosts.map((h) => ({ host: h.address, port: 8080 }));
          const load = await mesh.startProbe({ mode: 'load', proto: 'tcp', targets, concurrency: 4, durationMs, timeoutMs: 3000 });
          await sleep(300);
          await churn();
          const r = await load.result();
          const total = r.failures + Object.values(r.counts).reduce((a, b) => a + b, 0);
          const report = `${total} requests, ${r.failures} failed${r.failures ? ` (${r.errors.slice(0, 4).join('; ')})` : ''}; by task ${JSON.stringify(r.counts)}`;
          assert.ok(total > 100, `the load ran: ${report}`);
          return { r, report };
        };
        await publish();

        const scaling = await underLoad(8000, async () => {
          await scaleTo(6);
          await sleep(300);
          await scaleTo(2);
          for (const old of [...serving]) {
            await scaleTo(serving.length + 1);
            await retire([old]);
          }
        });
        t.diagnostic(`${kind}, scale 3→6→2 and a rolling update: ${scaling.report}`);
        assert.equal(scaling.r.failures, 0, scaling.report);

        let crashedAt = 0;
        const crash = await underLoad(3000, async () => {
          const crashed = serving[0]!;
          await mesh.killServer(crashed);
          crashedAt = Date.now();
          await sleep(500);
          await retire([crashed]);
        });
        t.diagnostic(`${kind}, a task crashing: ${crash.report}, ${crash.r.slow} answered after a SYN retransmit`);
        if (kind === 'userspace') assert.equal(crash.r.failures, 0, crash.report);
        else assert.ok(crash.r.failures <= 4 && crash.r.failedStarts.every((at) => at < crashedAt), `only requests in flight on the crashed task fail: ${crash.report}`);
      });
    });
  });
}
