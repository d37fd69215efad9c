import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitUntil, withLab } from '../lab/index.js';
import { dockerOn, ShoaldInHost, startShoalds } from './shoald-harness.js';

// Autolock with the docker CLI: a manager whose store is sealed by the unlock key serves nothing
// of the swarm after a restart until `docker swarm unlock`; the key rotates and autolock turns off.

const KEY = /SWMKEY-1-[A-Za-z0-9+/]{43}/;

test('swarm init --autolock, unlock after a restart, unlock-key --rotate, update --autolock=false|true', { timeout: 180_000 }, async () => {
  await withLab({ hosts: 1 }, async (lab) => {
    const shoald = new ShoaldInHost(lab, 'h1', ['--advertise-addr', lab.host('h1').address]);
    await shoald.start();
    const docker = async (...args: string[]) => (await shoald.docker(args)).stdout;
    const fails = async (args: string[], input?: string) => {
      const res = await shoald.docker(args, { allowFail: true, input });
      assert.notEqual(res.code, 0, `docker ${args.join(' ')} should fail`);
      return res.stderr;
    };
    const unlock = (key: string) => shoald.docker(['swarm', 'unlock'], { input: `${key}\n` });
    const keysFile = () => readFileSync(join(shoald.dataDir, 'swarm', 'raft', 'keys.json'), 'utf8');
    const restart = async () => {
      await shoald.stop();
      await shoald.start();
    };

    const init = await docker('swarm', 'init', '--autolock');
    assert.match(init, /To unlock a swarm manager after it restarts, run the `docker swarm unlock`\ncommand and provide the following key:/);
    const key = KEY.exec(init)![0];
    assert.equal((await docker('swarm', 'unlock-key', '-q')).trim(), key);
    assert.equal(await docker('info', '--format', '{{.Swarm.Cluster.Spec.EncryptionConfig.AutoLockManagers}}'), 'true\n');
    assert.doesNotMatch(keysFile(), /"dek"/, 'the data key is sealed, not in the clear');
    await docker('network', 'create', '-d', 'overlay', 'kept');
    // Beside autolock: `swarm ca --rotate` replaces the root, which is still the root after the restart below.
    const firstRoot = (await docker('swarm', 'ca')).trim();
    await docker('swarm', 'ca', '--rotate', '--quiet');
    const newRoot = (await docker('swarm', 'ca')).trim();
    assert.match(newRoot, /^-----BEGIN CERTIFICATE-----/);
    assert.notEqual(newRoot, firstRoot);

    // Restarted: locked until unlocked, with Docker's messages.
    await restart();
    assert.equal((await docker('info', '--format', '{{.Swarm.LocalNodeState}}')).trim(), 'locked');
    assert.match(await fails(['node', 'ls']), /Swarm is encrypted and needs to be unlocked before it can be used\. Please use "docker swarm unlock" to unlock it\./);
    assert.match(await fails(['swarm', 'unlock'], 'SWMKEY-1-nonsense\n'), /invalid key string/);
    const wrong = `SWMKEY-1-${'A'.repeat(43)}`;
    assert.match(await fails(['swarm', 'unlock'], `${wrong}\n`), /swarm could not be unlocked: invalid key provided/);
    await unlock(key);
    assert.match(await docker('network', 'ls', '--filter', 'name=kept', '--format', '{{.Name}}'), /^kept$/m);
    assert.equal((await docker('swarm', 'ca')).trim(), newRoot);
    assert.match(await fails(['swarm', 'unlock'], `${key}\n`), /swarm is not locked/);

    // Rotation: the old key no longer opens the store.
    const rotated = await docker('swarm', 'unlock-key', '--rotate');
    assert.match(rotated, /Successfully rotated manager unlock key\./);
    const next = KEY.exec(rotated)![0];
    assert.notEqual(next, key);
    await restart();
    assert.match(await fails(['swarm', 'unlock'], `${key}\n`), /invalid key provided/);
    await unlock(next);
    assert.equal((await docker('info', '--format', '{{.Swarm.LocalNodeState}}')).trim(), 'active');

    // Off: no key, the store opens by itself after a restart; on again: a new key.
    assert.match(await docker('swarm', 'update', '--autolock=false'), /Swarm updated\./);
    assert.match(await fails(['swarm', 'unlock-key']), /no unlock key is set/);
    assert.match(keysFile(), /"dek"/);
    await restart();
    assert.equal((await docker('info', '--format', '{{.Swarm.LocalNodeState}}')).trim(), 'active');
    assert.match(await docker('node', 'ls', '--format', '{{.Hostname}}'), /^h1$/m);
    const on = await docker('swarm', 'update', '--autolock=true');
    assert.match(on, /Swarm updated\.\nTo unlock a swarm manager after it restarts/);
    assert.notEqual(KEY.exec(on)![0], next);
    assert.doesNotMatch(keysFile(), /"dek"/);

    // A locked manager can still leave for good.
    await restart();
    assert.match(await docker('swarm', 'leave', '--force'), /Node left the swarm\./);
    assert.equal((await docker('info', '--format', '{{.Swarm.LocalNodeState}}')).trim(), 'inactive');
  });
});

test('every manager re-seals its store with a rotated key: a second manager restarted opens only with the new one', { timeout: 180_000 }, async () => {
  await withLab({ hosts: 2 }, async (lab) => {
    const hosts = await startShoalds(lab, ['h1', 'h2']);
    const run = dockerOn(hosts);
    const first = KEY.exec(await run('h1', 'swarm', 'init', '--autolock'))![0];
    const token = (await run('h1', 'swarm', 'join-token', '-q', 'manager')).trim();
    await run('h2', 'swarm', 'join', '--token', token, `${lab.host('h1').address}:2377`);
    await waitUntil('two managers', async () => (await run('h1', 'node', 'ls', '--format', '{{.ManagerStatus}}')).trim().split('\n').filter(Boolean).length === 2, { timeoutMs: 20_000, intervalMs: 250 });
    // h2 seals its data key with the rotated key once the change reaches it.
    const sealed = () => readFileSync(join(hosts.h2!.dataDir, 'swarm', 'raft', 'keys.json'), 'utf8');
    const before = sealed();
    const second = KEY.exec(await run('h1', 'swarm', 'unlock-key', '--rotate'))![0];
    await waitUntil('h2 re-sealed its data key', async () => sealed() !== before, { timeoutMs: 10_000, intervalMs: 200 });

    await hosts.h2!.stop();
    await hosts.h2!.start();
    const refused = await hosts.h2!.docker(['swarm', 'unlock'], { allowFail: true, input: `${first}\n` });
    assert.match(refused.stderr, /invalid key provided/);
    await hosts.h2!.docker(['swarm', 'unlock'], { input: `${second}\n` });
    await waitUntil('h2 serves the swarm again', async () => /Leader/.test(await run('h2', 'node', 'ls', '--format', '{{.ManagerStatus}}')), { timeoutMs: 20_000, intervalMs: 250 });
  });
});
