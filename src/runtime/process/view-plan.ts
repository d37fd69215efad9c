import { posix } from 'node:path';
import type { TaskFile } from '../types.js';

/**
 * What the task's filesystem looks like, as the steps the supervisor runs in the task's own mount
 * namespace before exec. Every mount lives in that namespace only: nothing to unmount in the host's,
 * and all of it goes away with the task's last process.
 */
export type ViewOp =
  | { op: 'mount'; source: string; target: string; fstype: string; flags: number; data: string }
  /** Lazily unmounts a mount copied from the host, if there is one. */
  | { op: 'detach'; target: string }
  /** Creates a directory and its parents (mode for those it creates). */
  | { op: 'mkdir'; path: string; mode: number }
  | { op: 'file'; path: string; mode: number; uid: number; gid: number; data: Buffer }
  /** Creates an empty file if there is none: the mount point of a file bind mount. */
  | { op: 'touch'; path: string }
  | { op: 'mknod'; path: string; mode: number; major: number; minor: number }
  | { op: 'symlink'; target: string; path: string }
  /** Makes `root` the root (pivot_root) and drops the old one. */
  | { op: 'pivot'; root: string };

export interface FileBind {
  /** A file in the task dir. */
  source: string;
  /** Absolute path in the task's view. */
  target: string;
  readOnly: boolean;
}

export interface ViewSpec {
  /** An overlay of the image's rootfs with the task's writable layer; absent: the host's own filesystem. */
  image?: { rootfs: string; upper: string; work: string; root: string };
  /** Files of the task dir shown in the view: /etc/hosts, /etc/hostname, /etc/resolv.conf, configs. */
  binds: FileBind[];
  /** A directory of the task dir on which a tmpfs is mounted for the secrets (in the task's namespace only). */
  secretsDir: string;
  secrets: TaskFile[];
  cwd: string;
}

const MS_RDONLY = 0x1;
const MS_NOSUID = 0x2;
const MS_NODEV = 0x4;
const MS_NOEXEC = 0x8;
const MS_REMOUNT = 0x20;
const MS_BIND = 0x1000;
const S_IFCHR = 0o20000;

const DEVICES: [name: string, major: number, minor: number][] = [
  ['null', 1, 3],
  ['zero', 1, 5],
  ['full', 1, 7],
  ['random', 1, 8],
  ['urandom', 1, 9],
  ['tty', 5, 0],
];

const DEV_LINKS: [name: string, target: string][] = [
  ['fd', '/proc/self/fd'],
  ['stdin', '/proc/self/fd/0'],
  ['stdout', '/proc/self/fd/1'],
  ['stderr', '/proc/self/fd/2'],
];

/** Where a secret is written on the secrets tmpfs: by index, as targets may be anywhere in the view. */
export const secretSource = (secretsDir: string, index: number): string => posix.join(secretsDir, String(index));

export function viewOps(v: ViewSpec): ViewOp[] {
  const root = v.image?.root ?? '';
  const ops: ViewOp[] = v.image ? imageRootOps(v.image) : hostRootOps();
  const binds = [...v.binds];
  if (v.secrets.length > 0) {
    ops.push({ op: 'mount', source: 'tmpfs', target: v.secretsDir, fstype: 'tmpfs', flags: MS_NOSUID | MS_NODEV | MS_NOEXEC, data: 'mode=700' });
    v.secrets.forEach((s, i) => {
      ops.push({ op: 'file', path: secretSource(v.secretsDir, i), mode: s.mode & 0o7777, uid: s.uid, gid: s.gid, data: s.data });
      binds.push({ source: secretSource(v.secretsDir, i), target: s.target, readOnly: true });
    });
  }
  for (const b of binds) {
    const target = root + b.target;
    ops.push(
      { op: 'mkdir', path: posix.dirname(target), mode: 0o755 },
      { op: 'touch', path: target },
      { op: 'mount', source: b.source, target, fstype: 'none', flags: MS_BIND, data: '' },
    );
    if (b.readOnly) ops.push({ op: 'mount', source: 'none', target, fstype: 'none', flags: MS_REMOUNT | MS_BIND | MS_RDONLY, data: '' });
  }
  if (v.image) ops.push({ op: 'mkdir', path: root + v.cwd, mode: 0o755 }, { op: 'pivot', root });
  return ops;
}

/** The image's rootfs under a per-task writable layer, with a fresh /proc and a minimal /dev. */
function imageRootOps(image: NonNullable<ViewSpec['image']>): ViewOp[] {
  const r = image.root;
  const ops: ViewOp[] = [
    { op: 'mount', source: 'overlay', target: r, fstype: 'overlay', flags: 0, data: `lowerdir=${image.rootfs},upperdir=${image.upper},workdir=${image.work}` },
    { op: 'mkdir', path: `${r}/proc`, mode: 0o555 },
    { op: 'mount', source: 'proc', target: `${r}/proc`, fstype: 'proc', flags: MS_NOSUID | MS_NODEV | MS_NOEXEC, data: '' },
    { op: 'mkdir', path: `${r}/dev`, mode: 0o755 },
    { op: 'mount', source: 'tmpfs', target: `${r}/dev`, fstype: 'tmpfs', flags: MS_NOSUID | MS_NOEXEC, data: 'mode=755,size=64k' },
  ];
  for (const [name, major, minor] of DEVICES) ops.push({ op: 'mknod', path: `${r}/dev/${name}`, mode: S_IFCHR | 0o666, major, minor });
  for (const [name, target] of DEV_LINKS) ops.push({ op: 'symlink', target, path: `${r}/dev/${name}` });
  ops.push(
    { op: 'mkdir', path: `${r}/dev/shm`, mode: 0o1777 },
    { op: 'mount', source: 'shm', target: `${r}/dev/shm`, fstype: 'tmpfs', flags: MS_NOSUID | MS_NODEV | MS_NOEXEC, data: 'mode=1777,size=65536k' },
  );
  return ops;
}

/**
 * The host's filesystem with a fresh /proc and a private /run. Detaching /run/netns drops this
 * namespace's copies of other tasks' namespace mounts, which would otherwise keep those alive.
 */
function hostRootOps(): ViewOp[] {
  return [
    { op: 'detach', target: '/run/netns' },
    { op: 'mount', source: 'tmpfs', target: '/run', fstype: 'tmpfs', flags: MS_NOSUID | MS_NODEV, data: 'mode=755' },
    { op: 'mount', source: 'proc', target: '/proc', fstype: 'proc', flags: MS_NOSUID | MS_NODEV | MS_NOEXEC, data: '' },
  ];
}
