import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pauseBinary, pauseImageRef } from '../../../src/runtime/docker/pause-image.js';

test('the pause binary is a small static ELF for x64 and arm64, entered after its headers', () => {
  for (const [arch, machine] of [['x64', 0x3e], ['arm64', 0xb7]] as const) {
    const elf = pauseBinary(arch);
    assert.deepEqual([...elf.subarray(0, 4)], [0x7f, 0x45, 0x4c, 0x46]);
    assert.equal(elf.readUInt16LE(18), machine);
    assert.equal(elf.readBigUInt64LE(24), 0x400000n + 120n);
    assert.equal(elf.readBigUInt64LE(96), BigInt(elf.length), 'the one segment maps the whole file');
    assert.ok(elf.length < 160);
  }
  assert.throws(() => pauseBinary('ia32'), /no sandbox binary for ia32: use --runtime process/);
  assert.match(pauseImageRef(pauseBinary('x64')), /^shoal-pause:[0-9a-f]{12}$/);
  assert.notEqual(pauseImageRef(pauseBinary('x64')), pauseImageRef(pauseBinary('arm64')));
});

test('on this machine it runs, waits through signals it has no handler for, and dies on SIGKILL', { skip: !['x64', 'arm64'].includes(process.arch) && 'other architecture' }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'shoal-pause-'));
  try {
    const path = join(dir, 'pause');
    await writeFile(path, pauseBinary());
    await chmod(path, 0o755);
    const child = spawn(path, [], { stdio: 'ignore' });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    await new Promise((r) => setTimeout(r, 200));
    child.kill('SIGCONT'); // ignored by default: pause returns, the loop pauses again
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(child.exitCode, null, 'still running');
    child.kill('SIGKILL');
    assert.equal(await exited, 'SIGKILL');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
