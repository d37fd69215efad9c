import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startDocker, waitUntil, withLab } from '../lab/index.js';
import { ShoaldInHost } from './shoald-harness.js';

// `docker service create --with-registry-auth`: the CLI's credentials travel with the task to the
// node's Docker engine, which offers them to the registry. No registry is reachable here, so a
// recording stand-in (fixtures/recording-registry.ts) on the engine's host shows what it received.

const REGISTRY = resolve('dist/test/e2e/fixtures/recording-registry.js');

test('--with-registry-auth: the credentials reach the registry through the node\'s engine, and the API never shows them', { timeout: 180_000 }, async () => {
  await withLab({ hosts: 1 }, async (lab) => {
    const engine = await startDocker(lab, 'h1', { importBusybox: false });
    const registry = await lab.start('h1', process.execPath, [REGISTRY, '5000'], { name: 'registry' });
    await registry.waitForOutput(/registry listening/);
    const shoald = new ShoaldInHost(lab, 'h1', ['--advertise-addr', lab.host('h1').address, '--runtime', 'docker', '--docker-host', engine.dockerHost]);
    await shoald.start();
    await shoald.docker(['swarm', 'init']);

    // The operator's CLI is logged in to the private registry (what `docker login` leaves).
    const cliConfig = join(lab.dir, 'operator-cli');
    mkdirSync(cliConfig, { recursive: true });
    const basic = Buffer.from('alice:s3cret').toString('base64');
    writeFileSync(join(cliConfig, 'config.json'), JSON.stringify({ auths: { 'localhost:5000': { auth: basic } } }));
    const env = { ...process.env, DOCKER_CONFIG: cliConfig };
    const image = 'localhost:5000/private/app:1';
    await shoald.docker(['service', 'create', '--detach', '--with-registry-auth', '--name', 'private', '--restart-condition', 'none', image], { env });

    await registry.waitForOutput(/AUTH \/v2\/private\/app\/manifests\/1 Basic (\S+)/, 60_000);
    assert.match(registry.output(), new RegExp(`AUTH /v2/private/app/manifests/1 Basic ${basic}`));
    // The pull fails (the stand-in has no images): the task is rejected with the engine's words.
    let ps = '';
    await waitUntil('the task rejected with the pull error', async () => {
      ps = (await shoald.docker(['service', 'ps', '--no-trunc', '--format', '{{.CurrentState}} {{.Error}}', 'private'])).stdout;
      return /^Rejected .*pulling it failed: .*manifest unknown/m.test(ps);
    }, { timeoutMs: 30_000, intervalMs: 300 }).catch((err: Error) => assert.fail(`${err.message}; service ps shows:\n${ps}`));

    // Never shown: neither in the service nor in its tasks.
    const taskIds = (await shoald.docker(['service', 'ps', '-q', 'private'])).stdout.trim().split('\n');
    const shown = (await shoald.docker(['service', 'inspect', 'private'])).stdout + (await shoald.docker(['inspect', '--type', 'task', ...taskIds])).stdout;
    assert.doesNotMatch(shown, /PullOptions|RegistryAuth|alice/);

    // An update without the flag keeps them (registryAuthFrom=spec): the next task's pull carries them too.
    const before = registry.output().split('\n').filter((l) => l.includes('/manifests/1')).length;
    await shoald.docker(['service', 'update', '--detach', '--force', 'private'], { env });
    await waitUntil('the updated task pulls with the credentials again', async () => registry.output().split('\n').filter((l) => l.includes(`/manifests/1 Basic ${basic}`)).length > before, { timeoutMs: 60_000, intervalMs: 300 });
  });
});
