import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { createLab, withLab } from './index.js';
import { newLabPrefix } from './names.js';
import { isAlive } from './pids.js';
import { labTraces, NO_TRACES } from './traces.js';

const labModule = fileURLToPath(new URL('./index.js', import.meta.url));

/** A run that builds a lab with a process in it, then gets `signal`; resolves with that process's pid once the run is over. */
async function interruptedRun(prefix: string, signal: NodeJS.Signals): Promise<number> {
  const script = `
    const { createLab, BUSYBOX_BIN } = await import(${JSON.stringify(labModule)});
    const lab = await createLab({ hosts: 1, prefix: ${JSON.stringify(prefix)} });
    const p = await lab.start('h1', BUSYBOX_BIN, ['sleep', '600']);
    console.log(p.pid);
    setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await once(child.stdout, 'data')) as [Buffer];
  child.kill(signal);
  await once(child, 'exit');
  return Number(line.toString().trim());
}

test('createLab removes what a crashed run left behind', async () => {
  const crashed = newLabPrefix();
  const orphan = await interruptedRun(crashed, 'SIGKILL');
  assert.ok(isAlive(orphan), 'the crashed run left its process running');
  assert.equal((await labTraces(crashed)).namespaces.length, 2, 'and its namespaces');

  await withLab({ hosts: 1 }, async () => {
    assert.deepEqual(await labTraces(crashed), NO_TRACES);
    assert.ok(!isAlive(orphan));
  });
});

test('createLab leaves alone a lab whose owner is alive', async () => {
  const living = await createLab({ hosts: 1 });
  try {
    await withLab({ hosts: 1 }, async () => {
      assert.equal((await labTraces(living.prefix)).namespaces.length, 2);
      await living.exec('h1', 'true');
    });
  } finally {
    await living.destroy();
  }
  assert.deepEqual(await labTraces(living.prefix), NO_TRACES);
});

test('a test process stopped by SIGTERM or SIGINT destroys its labs on the way out', async () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    const prefix = newLabPrefix();
    const pid = await interruptedRun(prefix, signal);
    assert.ok(!isAlive(pid), `${signal}: process of the lab`);
    assert.deepEqual(await labTraces(prefix), NO_TRACES, signal);
  }
});
