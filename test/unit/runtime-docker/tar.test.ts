import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tarArchive } from '../../../src/runtime/docker/tar.js';
import { exec } from '../../../src/util/exec.js';

test('GNU tar reads the archive: names, contents, modes, owners; block-aligned', async () => {
  const tar = tarArchive([
    { name: '0', data: Buffer.from('s3cret\n'), mode: 0o400, uid: 1000, gid: 1001 },
    { name: 'pause', data: Buffer.alloc(700, 7), mode: 0o755, uid: 0, gid: 0 },
    { name: 'empty', data: Buffer.alloc(0), mode: 0o644, uid: 0, gid: 0 },
  ]);
  assert.equal(tar.length % 512, 0);
  const dir = await mkdtemp(join(tmpdir(), 'shoal-tar-'));
  try {
    await writeFile(join(dir, 'a.tar'), tar);
    const listing = (await exec('tar', ['-tvf', join(dir, 'a.tar'), '--numeric-owner'])).stdout.trim().split('\n');
    assert.match(listing[0]!, /^-r-------- 1000\/1001\s+7 .* 0$/);
    assert.match(listing[1]!, /^-rwxr-xr-x 0\/0\s+700 .* pause$/);
    assert.match(listing[2]!, /^-rw-r--r-- 0\/0\s+0 .* empty$/);
    await exec('tar', ['-xf', join(dir, 'a.tar'), '-C', dir]);
    assert.equal(await readFile(join(dir, '0'), 'utf8'), 's3cret\n');
    assert.deepEqual(await readFile(join(dir, 'pause')), Buffer.alloc(700, 7));
    assert.equal((await stat(join(dir, 'pause'))).mode & 0o777, 0o755);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('the same files give the same bytes; a name over 100 bytes is refused', () => {
  const files = [{ name: 'x', data: Buffer.from('1'), mode: 0o644, uid: 0, gid: 0 }];
  assert.deepEqual(tarArchive(files), tarArchive(files));
  assert.throws(() => tarArchive([{ ...files[0]!, name: 'n'.repeat(101) }]), /too long/);
});
