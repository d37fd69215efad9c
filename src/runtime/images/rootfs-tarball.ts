import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { lstat, mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { invalidArgument } from '../../util/errors.js';
import { exec } from '../../util/exec.js';

const GZIP_MAGIC = [0x1f, 0x8b];

/**
 * Writes a root filesystem tarball (plain or gzip, as `docker import` sends it) to `tarFile`,
 * returning the sha256 of the uncompressed tar: the same content gives the same image ID however it was compressed.
 */
export async function receiveTarball(source: Readable | Buffer, tarFile: string): Promise<string> {
  const input = Buffer.isBuffer(source) ? Readable.from([source]) : source;
  const chunks = input[Symbol.asyncIterator]();
  let head = Buffer.alloc(0);
  while (head.length < GZIP_MAGIC.length) {
    const next = await chunks.next();
    if (next.done) break;
    head = Buffer.concat([head, Buffer.from(next.value as Buffer)]);
  }
  const gzip = GZIP_MAGIC.every((b, i) => head[i] === b);
  const rest = Readable.from(
    (async function* () {
      yield head;
      for (let next = await chunks.next(); !next.done; next = await chunks.next()) yield next.value as Buffer;
    })(),
  );
  const hash = createHash('sha256');
  const hasher = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      done(null, chunk);
    },
  });
  const stages = gzip ? [rest, createGunzip(), hasher] : [rest, hasher];
  try {
    await pipeline([...stages, createWriteStream(tarFile)]);
  } catch (err) {
    throw invalidArgument(`image tarball could not be read: ${(err as Error).message}`);
  }
  return hash.digest('hex');
}

/** Unpacks a tar into `dir` with GNU tar, keeping modes, owners (numeric), symlinks and device nodes. */
export async function extractTarball(tarFile: string, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const res = await exec('tar', ['-x', '-f', tarFile, '-C', dir, '--numeric-owner', '--same-owner', '--same-permissions'], { allowFail: true });
  if (res.code !== 0) throw invalidArgument(`image tarball could not be unpacked (is it a tar of a root filesystem?): ${res.stderr.trim()}`);
}

/** Bytes of the regular files and symlinks under `dir`, as Docker counts an image's Size. */
export async function treeSize(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += await treeSize(path);
    else if (entry.isFile() || entry.isSymbolicLink()) total += (await lstat(path)).size;
  }
  return total;
}
