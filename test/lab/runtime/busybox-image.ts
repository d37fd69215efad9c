import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { exec } from '../../../src/util/exec.js';

/**
 * A root filesystem tarball made from the host's static busybox (Debian's busybox-static), as
 * `docker import` would receive it: /bin/busybox, a symlink per applet, /etc/passwd and /etc/group, /tmp.
 */
export async function busyboxRootfsTar(): Promise<Buffer> {
  const work = await mkdtemp(join(tmpdir(), 'shoal-rt-busybox-'));
  try {
    const root = join(work, 'rootfs');
    await mkdir(join(root, 'bin'), { recursive: true });
    await copyFile('/bin/busybox', join(root, 'bin/busybox'));
    await chmod(join(root, 'bin/busybox'), 0o755);
    const applets = (await exec('/bin/busybox', ['--list-full'])).stdout.split('\n').filter((p) => p && p !== 'bin/busybox');
    for (const applet of applets) {
      await mkdir(join(root, dirname(applet)), { recursive: true });
      await symlink('/bin/busybox', join(root, applet));
    }
    await mkdir(join(root, 'etc'));
    await writeFile(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home/nobody:/bin/false\n');
    await writeFile(join(root, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\n');
    await mkdir(join(root, 'tmp'));
    await chmod(join(root, 'tmp'), 0o1777);
    await exec('tar', ['-C', root, '--numeric-owner', '-cf', join(work, 'rootfs.tar'), '.']);
    return await readFile(join(work, 'rootfs.tar'));
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
