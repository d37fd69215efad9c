import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createLab, LAB_NS_HOST, waitUntil, type Lab } from '../index.js';
import { MeshHost } from './mesh-host-client.js';
import { dumpingLogs } from './services.js';
import { INGRESS, MeshLab, type MeshService, type MeshTask } from './topology.js';
import type { TransferRequest, TransferResult } from './transfer-client.js';

const notRoot = process.getuid?.() !== 0 && 'needs root';
const here = (f: string) => new URL(f, import.meta.url).pathname;
const MiB = 2 ** 20;
const XFER: MeshService = {
  serviceId: 'svcxfer',
  name: 'xfer',
  ports: [{ protocol: 'tcp', targetPort: 70, publishedPort: 7000, mode: 'ingress' }],
  networks: [INGRESS],
  vipOctet: 103,
};

// The userspace proxy's splice threads accept, connect and relay its TCP connections
// (src/mesh/dataplane/userspace/splice-thread.ts): these connections must carry every byte, be counted,
// and end as the two sides end them.
describe('the userspace mesh relaying established connections with splice(2)', { skip: notRoot, timeout: 120_000 }, () => {
  let lab: Lab;
  let mesh: MeshLab;
  let dp: MeshHost;
  let task: MeshTask;
  let addr: string;
  const step = dumpingLogs(() => lab);

  before(async () => {
    lab = await createLab({ hosts: 1 });
    mesh = new MeshLab(lab, [INGRESS]);
    await mesh.setUpHosts();
    task = await mesh.addTask({ name: 'x1', service: XFER, host: 'h1', serve: false });
    task.server = await mesh.startIn(task, here('./transfer-server.js'), ['70'], /ready/);
    dp = await MeshHost.start(lab, 'h1', 'userspace');
    await dp.apply(mesh.table(1, [XFER], [task]));
    addr = lab.host('h1').address;
  });
  after(() => lab?.destroy());

  const entry = async () => (await dp.stats()).find((e) => e.entry === 'tcp/7000')!;
  /** The pipes the data plane's process holds (the splice thread keeps two per connection, a third for the client's bytes until the task answers, and empty ones for the next connections). */
  const pipes = async () => (await lab.exec('h1', 'find', [`/proc/${dp.process.pid}/fd`, '-lname', 'pipe:*'])).stdout.trim().split('\n').filter(Boolean).length;
  const transfer = async (req: Omit<TransferRequest, 'host' | 'port'>, whilePaused?: () => Promise<void>): Promise<TransferResult> => {
    const proc = await lab.start(LAB_NS_HOST, process.execPath, [here('./transfer-client.js'), JSON.stringify({ host: addr, port: 7000, ...req })], { name: 'transfer' });
    if (whilePaused) {
      await proc.waitForOutput(/paused/, 20_000);
      await whilePaused();
    }
    const exit = await proc.exited;
    assert.equal(exit.code, 0, proc.output());
    return JSON.parse(proc.output().trim().split('\n').pop()!) as TransferResult;
  };
  /** The connection's end reached the proxy's counters. */
  const settled = () => waitUntil('no active connection on tcp/7000', async () => (await entry()).active === 0, { timeoutMs: 5000 });
  const serverSaid = (line: RegExp) => task.server!.waitForOutput(line, 5000);

  it('carries 64 MiB both ways byte for byte, counts them, and ends on the client FIN', step(async () => {
    const before = await entry();
    const idle = await pipes();
    const bytes = 64 * MiB;
    const r = await transfer({ mode: 'echo', bytes, pause: { atBytes: bytes / 2, ms: 1000 } }, async () => {
      assert.equal(await pipes(), idle + 6, 'the paused connection is in the splice thread: two pipes of two ends, and the emptied copy of its first bytes kept for the next connection');
    });
    assert.deepEqual(r, { sent: bytes, received: bytes, samePrefix: true, ended: 'end' });
    await settled();
    const after = await entry();
    assert.equal(after.bytesIn - before.bytesIn, bytes + 'echo\n'.length, 'client → task bytes');
    assert.equal(after.bytesOut - before.bytesOut, bytes, 'task → client bytes');
    assert.equal(after.connections - before.connections, 1);
    assert.ok((await pipes()) <= idle + 6, 'its pipes are closed, or kept for the next connection');
    await serverSaid(new RegExp(`closed ${bytes}`));
  }));

  it('passes on the task ending its side first, while the client still sends', step(async () => {
    const kept = await pipes();
    const r = await transfer({ mode: `fin ${MiB}`, bytes: 8 * MiB });
    assert.deepEqual(r, { sent: 8 * MiB, received: MiB, samePrefix: true, ended: 'end' });
    await settled();
    assert.equal(await pipes(), kept, 'the pipes kept are taken again, and given back');
  }));

  it("passes on the task's reset", step(async () => {
    const r = await transfer({ mode: `rst ${2 * MiB}`, bytes: 16 * MiB });
    assert.equal(r.ended, 'reset', JSON.stringify(r));
    assert.ok(r.received <= 2 * MiB && r.samePrefix, JSON.stringify(r));
    await settled();
  }));

  it("passes on the client's reset", step(async () => {
    const r = await transfer({ mode: 'echo', bytes: 64 * MiB, resetAfter: 2 * MiB });
    assert.equal(r.ended, 'client-reset', JSON.stringify(r));
    await serverSaid(/^(reset|error EPIPE)$/m);
    await settled();
  }));
});
