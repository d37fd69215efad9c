/** One regular file of a tar archive. */
export interface TarFile {
  /** Relative path, at most 100 bytes (no prefix field is written). */
  name: string;
  data: Buffer;
  mode: number;
  uid: number;
  gid: number;
}

const BLOCK = 512;

/**
 * A ustar archive of regular files, in memory: what the Engine API takes to import an image or to
 * put files into a container. Times are 0, so the same files give the same bytes.
 */
export function tarArchive(files: readonly TarFile[]): Buffer {
  const parts: Buffer[] = [];
  for (const f of files) {
    parts.push(header(f), f.data, Buffer.alloc((BLOCK - (f.data.length % BLOCK)) % BLOCK));
  }
  parts.push(Buffer.alloc(2 * BLOCK));
  return Buffer.concat(parts);
}

function header(f: TarFile): Buffer {
  if (Buffer.byteLength(f.name) > 100) throw new Error(`tar entry name too long: ${f.name}`);
  const h = Buffer.alloc(BLOCK);
  const octal = (value: number, offset: number, width: number) => h.write(`${value.toString(8).padStart(width - 1, '0')}\0`, offset, 'latin1');
  h.write(f.name, 0, 'utf8');
  octal(f.mode & 0o7777, 100, 8);
  octal(f.uid, 108, 8);
  octal(f.gid, 116, 8);
  octal(f.data.length, 124, 12);
  octal(0, 136, 12);
  h.write('0', 156, 'latin1'); // regular file
  h.write('ustar\x0000', 257, 'latin1');
  // The checksum is summed with its own field as spaces, then written as six octal digits, NUL, space.
  h.fill(0x20, 148, 156);
  const sum = h.reduce((a, b) => a + b, 0);
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return h;
}
