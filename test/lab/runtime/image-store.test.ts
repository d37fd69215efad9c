import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lstat, mkdtemp, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { ImageStore } from '../../../src/runtime/images/index.js';
import { silentLogger } from '../../../src/util/logger.js';
import { busyboxRootfsTar } from './busybox-image.js';

async function withStore(body: (store: ImageStore, dataDir: string) => Promise<void>): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), 'shoal-images-'));
  try {
    await body(new ImageStore({ dataDir, logger: silentLogger }), dataDir);
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

test('a busybox rootfs tarball imports with symlinks and modes, and resolves by tag, short name and ID', { skip: process.getuid?.() !== 0 && 'needs root' }, () =>
  withStore(async (store, dataDir) => {
    const tar = await busyboxRootfsTar();
    const image = await store.importImage(Readable.from([tar.subarray(0, 1000), tar.subarray(1000)]), 'busybox:latest');
    assert.match(image.Id, /^sha256:[0-9a-f]{64}$/);
    assert.deepEqual(image.RepoTags, ['busybox:latest']);
    assert.ok(image.Size > 1_000_000 && image.Created > 0);
    const hex = image.Id.slice(7);
    for (const ref of ['busybox', 'busybox:latest', `docker.io/library/busybox:latest@sha256:${'0'.repeat(64)}`, image.Id, hex.slice(0, 12)]) {
      assert.deepEqual(await store.resolve(ref), { id: image.Id, rootfs: join(dataDir, 'images', hex, 'rootfs') }, ref);
    }
    assert.equal(await store.resolve('busybox:1.0'), undefined);
    assert.equal(await store.resolve('alpine'), undefined);
    const rootfs = join(dataDir, 'images', hex, 'rootfs');
    assert.equal(await readlink(join(rootfs, 'bin/sh')), '/bin/busybox');
    assert.equal((await lstat(join(rootfs, 'bin/busybox'))).mode & 0o777, 0o755);
    assert.equal((await lstat(join(rootfs, 'tmp'))).mode & 0o7777, 0o1777);
  }));

test('gzip and plain tarballs of the same tree are one image; tags move and rmi untags, then deletes', { skip: process.getuid?.() !== 0 && 'needs root' }, () =>
  withStore(async (store) => {
    const tar = await busyboxRootfsTar();
    const plain = await store.importImage(tar, 'busybox:1');
    const gz = await store.importImage(gzipSync(tar), 'box/busy:gz');
    assert.equal(gz.Id, plain.Id);
    assert.deepEqual(gz.RepoTags, ['box/busy:gz', 'busybox:1']);
    assert.deepEqual((await store.list()).map((i) => i.RepoTags), [['box/busy:gz', 'busybox:1']]);
    await assert.rejects(store.remove(plain.Id), /must be forced/);
    assert.deepEqual(await store.remove('busybox:1'), [{ Untagged: 'busybox:1' }]);
    assert.deepEqual(await store.remove('box/busy:gz'), [{ Untagged: 'box/busy:gz' }, { Deleted: plain.Id }]);
    assert.deepEqual(await store.list(), []);
    await assert.rejects(store.remove('busybox:1'), { code: 'not_found', message: 'No such image: busybox:1' });
    await assert.rejects(store.importImage(Buffer.from('not a tarball at all'), 'junk'), { code: 'invalid_argument' });
    assert.deepEqual(await store.list(), []);
  }));
