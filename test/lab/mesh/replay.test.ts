import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sleep } from '../../../src/util/clock.js';
import { REPLAY_CAP } from '../../../src/mesh/dataplane/userspace/relay.js';
import { createLab, LAB_NS_HOST, type Lab } from '../index.js';
import { MeshHost } from './mesh-host-client.js';
import { dumpingLogs, WEB } from './services.js';
import { MeshLab, type MeshTask } from './topology.js';
import type { RequestResult, RequestSpec } from './request-client.js';

const notRoot = process.getuid?.() !== 0 && 'needs root';
const here = (f: string) => new URL(f, import.meta.url).pathname;

// The userspace proxy keeps what a client sent until its backend answers: a backend that fails
// before answering (here: a mute task, like one whose host died, leaving the table) has the
// request sent again to another backend, up to REPLAY_CAP bytes.
describe('the userspace mesh replaying a request its backend never answered', { skip: notRoot, timeout: 120_000 }, () => {
  let lab: Lab;
  let mesh: MeshLab;
  let dp: MeshHost;
  let w1: MeshTask;
  let version = 0;
  const step = dumpingLogs(() => lab);
  const apply = (serving: MeshTask[], draining: MeshTask[] = []) => dp.apply(mesh.table(++version, [WEB], serving, draining));

  before(async () => {
    lab = await createLab({ hosts: 1 });
    mesh = new MeshLab(lab);
    await mesh.setUpHosts();
    w1 = await mesh.addTask({ name: 'w1', service: WEB, host: 'h1', tcp: [80] });
    dp = await MeshHost.start(lab, 'h1', 'userspace');
  });
  after(() => lab?.destroy());

  /**
   * Sends a request of `bytes` to a mute task, then takes the task out of the table (left to drain if
   * `drain`); `whenMoved` runs meanwhile, then the result.
   */
  const requestToMute = async (name: string, bytes: number, whenMoved?: (mute: MeshTask) => Promise<unknown>, drain = false): Promise<RequestResult> => {
    const mute = await mesh.addTask({ name, service: WEB, host: 'h1', tcp: [80], answer: 'mute' });
    await apply([mute]);
    const spec: RequestSpec = { host: lab.host('h1').address, port: 8080, bytes, timeoutMs: 8000 };
    const client = await lab.start(LAB_NS_HOST, process.execPath, [here('./request-client.js'), JSON.stringify(spec)], { name: 'request' });
    await client.waitForOutput(/sent/, 5000);
    await sleep(300); // the request reached the mute task, which holds it
    await apply([w1], drain ? [mute] : []);
    await whenMoved?.(mute);
    await client.exited;
    await mute.server?.stop();
    return JSON.parse(client.output().trim().split('\n').pop()!) as RequestResult;
  };

  for (const bytes of [4, 48 * 1024]) {
    it(`sends a ${bytes}-byte request again to another backend, which answers it once`, step(async () => {
      const r = await requestToMute(`mute${bytes}`, bytes);
      // w1 greets each connection with its name, answers each line, and ends when the client ended.
      const expected = `w1\nw1 ${'x'.repeat(bytes - 1)}\n`;
      assert.ok(r.answer === expected && r.ended === 'end', `${r.answer.length} bytes (${expected.length} expected), ended: ${r.ended}: ${r.answer.slice(0, 40)}`);
    }));
  }

  /** After 1.5 s the mute task stops: its close, after the client's end, is the client's answer. */
  const stopLater = async (mute: MeshTask) => {
    await sleep(1500);
    await mute.server?.stop();
  };

  it('does not move a request larger than the cap: it fails when its backend goes', step(async () => {
    const r = await requestToMute('mutebig', REPLAY_CAP + 64 * 1024, stopLater);
    assert.equal(r.answer, '', `answered: ${r.answer.slice(0, 40)}`);
    assert.notEqual(r.ended, 'timeout');
  }));

  it('leaves a request with a task that drains (it may still answer it): the client gets what the task does', step(async () => {
    const r = await requestToMute('mutedrain', 4, stopLater, true);
    assert.deepEqual(r, { answer: '', ended: 'end' });
  }));
});
