import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { LAB_NS_HOST, withLab, waitUntil, type Lab } from '../lab/index.js';
import { ShoaldInHost, startShoalds } from './shoald-harness.js';

// The live cluster view (`shoald --ui-addr`) in headless Chromium, as a browser outside the
// cluster sees it: nodes as columns, tasks as cards, redrawn from the event stream.
const CHROMIUM = '/usr/bin/chromium';
const UI_PORT = 8088;

/** Chromium started inside the lab's own namespace (an outside client that reaches every host's address). */
function chromiumInLab(lab: Lab): string {
  const wrapper = join(lab.dir, 'chromium');
  const argv = lab.command(LAB_NS_HOST, CHROMIUM).map((a) => `'${a.replaceAll("'", "'\\''")}'`);
  writeFileSync(wrapper, `#!/bin/sh\nexec ${argv.join(' ')} "$@"\n`);
  chmodSync(wrapper, 0o755);
  return wrapper;
}

const columns = (page: Page) =>
  page.$$eval('[data-node]', (nodes) =>
    nodes.map((n) => ({
      node: n.getAttribute('data-node'),
      role: n.getAttribute('data-role'),
      state: n.getAttribute('data-state'),
      availability: n.getAttribute('data-availability'),
      tasks: [...n.querySelectorAll('[data-task]')].map((t) => `${t.getAttribute('data-service')}:${t.getAttribute('data-state')}`),
    })),
  );

/** Running `web` cards per node, as the page shows them. */
async function runningWeb(page: Page): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const c of await columns(page)) out[c.node!] = c.tasks.filter((t) => t === 'web:running').length;
  return out;
}

test('the live cluster view shows the nodes and their tasks, and follows a scale and a drain without reloading', { skip: !existsSync(CHROMIUM) && `${CHROMIUM} is not installed (apt-get install chromium)` }, async () => {
  await withLab({ hosts: 2 }, async (lab) => {
    const ui = `${lab.host('h1').address}:${UI_PORT}`;
    const manager = new ShoaldInHost(lab, 'h1', ['--advertise-addr', lab.host('h1').address, '--ui-addr', ui]);
    await manager.start();
    const { h2 } = await startShoalds(lab, ['h2']);
    assert.match(manager.process.output(), new RegExp(`Live cluster view: http://${ui.replaceAll('.', '\\.')}/`));
    const docker = async (on: typeof manager, ...args: string[]) => (await on.docker(args)).stdout;
    await docker(manager, 'swarm', 'init', '--advertise-addr', lab.host('h1').address, '--dispatcher-heartbeat', '1s');
    await docker(h2!, 'swarm', 'join', '--token', (await docker(manager, 'swarm', 'join-token', '-q', 'worker')).trim(), `${lab.host('h1').address}:2377`);
    for (const h of [manager, h2!]) await h.importBusybox();
    await docker(manager, 'service', 'create', '--detach', '--name', 'web', '--replicas', '2', 'busybox', 'sleep', '100000');
    await manager.waitForReplicas('web', '2/2');

    const browser = await chromium.launch({ executablePath: chromiumInLab(lab) });
    try {
      const page = await browser.newPage({ viewport: { width: 900, height: 480 } });
      await page.goto(`http://${ui}/`);
      await page.waitForFunction(() => document.querySelectorAll('[data-node]').length === 2 && document.querySelector('#live.on') !== null);
      const cols = await columns(page);
      assert.deepEqual(cols.map((c) => [c.node, c.role, c.state, c.availability]), [['h1', 'manager', 'ready', 'active'], ['h2', 'worker', 'ready', 'active']]);
      assert.deepEqual(await runningWeb(page), { h1: 1, h2: 1 }, 'one web task on each node (spread)');
      assert.match(await page.textContent('#status') ?? '', /2 nodes · 1 services · 2 tasks/);
      // One evaluation: $$eval queries and maps in two round trips, and a redraw in between detaches the cards (no computed style).
      const colours = await page.evaluate(() => [...document.querySelectorAll('[data-task]')].map((c) => getComputedStyle(c).backgroundColor));
      assert.deepEqual(colours, ['rgb(95, 207, 128)', 'rgb(95, 207, 128)'], 'running tasks are green');
      await page.evaluate(() => ((window as unknown as { notReloaded: boolean }).notReloaded = true));

      await docker(manager, 'service', 'scale', '--detach', 'web=4');
      await waitUntil('four running web cards', async () => {
        const n = await runningWeb(page);
        return n.h1 === 2 && n.h2 === 2;
      }, { timeoutMs: 20_000, intervalMs: 100 });

      await docker(manager, 'node', 'update', '--availability', 'drain', 'h2');
      await waitUntil('h2 drained in the view, its tasks moved to h1', async () => {
        const c = await columns(page);
        return c[1]!.availability === 'drain' && (await runningWeb(page)).h1 === 4 && c[1]!.tasks.length === 0;
      }, { timeoutMs: 30_000, intervalMs: 100 });
      assert.equal(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded), true, 'updated live, not by reloading');

      await docker(manager, 'node', 'update', '--availability', 'active', 'h2');
      await docker(manager, 'service', 'create', '--detach', '--name', 'api', '--replicas', '2', 'busybox', 'sleep', '100000');
      await waitUntil('api running in the view', async () => (await columns(page)).flatMap((c) => c.tasks).filter((t) => t === 'api:running').length === 2, { timeoutMs: 20_000, intervalMs: 100 });
      const shot = join(lab.dir, 'ui.png');
      await page.screenshot({ path: shot });
      if (process.env.SHOAL_UI_SCREENSHOT) copyFileSync(shot, process.env.SHOAL_UI_SCREENSHOT);

      // The view's port reads; it never writes.
      const refused = await page.evaluate(async () => (await fetch('/api/v1.41/services/create', { method: 'POST', body: '{}' })).status);
      assert.equal(refused, 405);
      assert.equal(await page.evaluate(async () => (await fetch('/api/v1.41/secrets')).status), 404, 'only nodes, services, tasks, events, info and version are readable');
    } finally {
      await browser.close();
    }
  });
});
