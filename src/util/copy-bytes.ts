/**
 * Copies `source[start, end)` to `target` at `at`, one byte at a time: for the few dozen bytes of a
 * DNS question, a record set or a socket address this is as fast as Buffer#copy, and unlike it (which makes a typed-array
 * view whenever the range is not the whole source) it allocates nothing.
 */
export function copyBytes(source: Uint8Array, start: number, end: number, target: Uint8Array, at: number): void {
  for (let i = start; i < end; i++) target[at + i - start] = source[i]!;
}
