import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { BUSYBOX_IMAGE, startDocker, withLab } from './index.js';
import { isAlive } from './pids.js';
import { labTraces, NO_TRACES } from './traces.js';

const MACHINE_SOCKET = '/var/run/docker.sock';

test('a private Docker engine in a lab host runs a busybox container and stops without a trace', { timeout: 300_000 }, async () => {
  const machineSocketBefore = existsSync(MACHINE_SOCKET);
  let prefix = '';
  await withLab({ hosts: 1 }, async (lab) => {
    prefix = lab.prefix;
    const engine = await startDocker(lab, 'h1');
    const hi = await engine.cli(['run', '--rm', '--network', 'none', BUSYBOX_IMAGE, 'echo', 'hi']);
    assert.equal(hi.stdout.trim(), 'hi');
    assert.equal((await engine.cli(['info', '--format', '{{.Name}}'])).stdout.trim(), 'h1', 'the engine sees its host name');

    const id = (await engine.cli(['run', '-d', '--network', 'none', BUSYBOX_IMAGE, 'sleep', '600'])).stdout.trim();
    const containerPid = Number((await engine.cli(['inspect', '-f', '{{.State.Pid}}', id])).stdout.trim());
    const tree = engine.pids();
    assert.ok(tree.has(containerPid), 'the container runs under this engine');

    await engine.stop();
    for (const pid of tree) assert.ok(!isAlive(pid), `engine process ${pid}`);
    assert.ok(!existsSync(engine.dir));
    const traces = await labTraces(prefix);
    assert.deepEqual(traces.mounts.filter((m) => m.includes(engine.dir)), []);
    assert.deepEqual(traces.cgroups, []);
  });
  assert.deepEqual(await labTraces(prefix), NO_TRACES);
  assert.equal(existsSync(MACHINE_SOCKET), machineSocketBefore, "the machine's docker socket is untouched");
});

test('killHost takes down an engine in its own namespace with its containers', { timeout: 300_000 }, async () => {
  await withLab({ hosts: 0 }, async (lab) => {
    const engine = await startDocker(lab);
    assert.equal(engine.host.name, 'docker');
    const id = (await engine.cli(['run', '-d', '--network', 'none', BUSYBOX_IMAGE, 'sleep', '600'])).stdout.trim();
    const containerPid = Number((await engine.cli(['inspect', '-f', '{{.State.Pid}}', id])).stdout.trim());
    const tree = engine.pids();
    assert.ok(tree.has(containerPid));

    await lab.killHost('docker');
    for (const pid of tree) assert.ok(!isAlive(pid), `process ${pid}`);
  });
});
