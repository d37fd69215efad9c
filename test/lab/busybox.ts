import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { exec } from '../../src/util/exec.js';

/** The static busybox of Debian's busybox-static package. */
export const BUSYBOX_BIN = '/bin/busybox';
/** Where rootfs tarballs are cached, one per busybox binary; shared by runs, not part of any lab. */
export const BUSYBOX_CACHE_DIR = join(tmpdir(), 'shoal-busybox');

let tarball: Promise<string> | undefined;

/**
 * Path of a tar of a minimal root filesystem: /bin/busybox, a symlink for each of its applets,
 * /etc/passwd and /etc/group, /tmp. Load it with `docker import <path> busybox:latest`. Built once
 * per machine (keyed by the binary's hash, written atomically) and once per process at most.
 */
export function busyboxRootfsTarball(): Promise<string> {
  tarball ??= buildTarball().catch((err: unknown) => {
    tarball = undefined;
    throw err;
  });
  return tarball;
}

async function buildTarball(): Promise<string> {
  const hash = createHash('sha256').update(readFileSync(BUSYBOX_BIN)).digest('hex').slice(0, 12);
  const out = join(BUSYBOX_CACHE_DIR, `rootfs-${hash}.tar`);
  if (existsSync(out)) return out;
  mkdirSync(BUSYBOX_CACHE_DIR, { recursive: true });
  const staging = mkdtempSync(join(BUSYBOX_CACHE_DIR, 'build-'));
  try {
    const root = join(staging, 'rootfs');
    await writeRootfs(root);
    const tar = join(staging, 'rootfs.tar');
    // Fixed owner, order and times: the same binary always gives the same tar (and image layer).
    await exec('tar', ['--numeric-owner', '--owner=0', '--group=0', '--sort=name', '--mtime=@0', '-C', root, '-cf', tar, '.']);
    renameSync(tar, out);
    return out;
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

async function writeRootfs(root: string): Promise<void> {
  mkdirSync(join(root, 'bin'), { recursive: true });
  copyFileSync(BUSYBOX_BIN, join(root, 'bin/busybox'));
  chmodSync(join(root, 'bin/busybox'), 0o755);
  const { stdout } = await exec(BUSYBOX_BIN, ['--list-full']);
  for (const applet of stdout.split('\n').filter(Boolean)) {
    const path = join(root, applet);
    mkdirSync(dirname(path), { recursive: true });
    if (!existsSync(path)) symlinkSync('/bin/busybox', path);
  }
  for (const dir of ['etc', 'root', 'proc', 'sys', 'dev']) mkdirSync(join(root, dir), { recursive: true });
  mkdirSync(join(root, 'tmp'));
  chmodSync(join(root, 'tmp'), 0o1777);
  writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n');
  writeFileSync(join(root, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\n');
}
