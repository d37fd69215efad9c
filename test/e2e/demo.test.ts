import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { exec } from '../../src/util/exec.js';

// `npm run demo` as an operator sees it: its output is read back and its claims checked here,
// beyond its own checks and its exit code.
test('npm run demo: three hosts, node ls, service ps, each host\'s port answered by different tasks, torn down', async () => {
  const res = await exec(process.execPath, [resolve('dist/scripts/demo.js')], { allowFail: true, timeoutMs: 180_000 });
  const out = res.stdout;
  assert.equal(res.code, 0, `the demo failed:\n${out}\n${res.stderr}`);

  const nodeLs = /\$ shoal node ls\n([\s\S]*?)\n✔/.exec(out)?.[1] ?? '';
  assert.match(nodeLs, /^ID\s+HOSTNAME\s+STATUS\s+AVAILABILITY\s+MANAGER STATUS\s+ENGINE VERSION\n/);
  for (const h of ['h1', 'h2', 'h3']) assert.match(nodeLs, new RegExp(`^[0-9a-z]{25}( \\*)?\\s+${h}\\s+Ready\\s+Active\\s+${h === 'h1' ? 'Leader' : ''}`, 'm'));

  const ps = /\$ shoal service ps demo_web\n([\s\S]*?)\n✔/.exec(out)?.[1] ?? '';
  const running = ps.split('\n').slice(1).map((l) => l.split(/\s{2,}/)).filter((c) => c[4] === 'Running');
  assert.equal(running.length, 3, ps);
  assert.deepEqual(running.map((c) => c[3]).sort(), ['h1', 'h2', 'h3'], 'one task per host');
  const taskIds = new Set(running.map((c) => c[0]));

  const answers = [...out.matchAll(/GET http:\/\/([\d.]+):8080\/ {2}→ {2}(\S+)/g)].map((m) => ({ host: m[1]!, task: m[2]! }));
  assert.equal(answers.length, 9, 'three requests through each of the three hosts');
  for (const host of new Set(answers.map((a) => a.host))) {
    const tasks = answers.filter((a) => a.host === host).map((a) => a.task);
    assert.ok(new Set(tasks).size > 1, `${host}: answered by different tasks (${tasks.join(', ')})`);
    assert.ok(tasks.every((t) => taskIds.has(t)), `${host}: every answer came from a task service ps shows (${tasks.join(', ')})`);
  }
  assert.equal(new Set(answers.map((a) => a.task)).size, 3);
  assert.match(out, /Removing service demo_web\nRemoving network demo_default\n/);
  assert.match(out, /✔ lab torn down; the demo took [\d.]+ s\n$/);
  assert.equal(out.match(/^✔ /gm)?.length, 7, 'every check of the demo passed');
});
