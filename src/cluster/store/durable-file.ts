import { closeSync, fsyncSync, openSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/** Writes `path` whole and fsyncs it before returning. */
export function writeDurably(path: string, data: string | Uint8Array): void {
  const fd = openSync(path, 'w', 0o600);
  try {
    if (typeof data === 'string') writeSync(fd, data);
    else writeSync(fd, data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Fsyncs a directory, so a rename or a new file in it survives a crash. */
export function syncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Replaces `path` atomically: a reader (or a restart) sees the old content or the new, never a mix. */
export function replaceDurably(path: string, data: string | Uint8Array): void {
  const tmp = `${path}.tmp`;
  writeDurably(tmp, data);
  renameSync(tmp, path);
  syncDir(dirname(path));
}
