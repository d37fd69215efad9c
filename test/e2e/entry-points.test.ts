import { test } from 'node:test';
import assert from 'node:assert/strict';
import { exec } from '../../src/util/exec.js';

test('bin/shoald and bin/shoal print their usage and version', async () => {
  const daemon = await exec(process.execPath, ['bin/shoald', '--help']);
  assert.match(daemon.stdout, /^Usage: shoald \[OPTIONS\]/);
  assert.match(daemon.stdout, /--api-socket VALUE/);
  assert.match((await exec(process.execPath, ['bin/shoald', '--version'])).stdout, /^shoald \d+\.\d+\.\d+ \(Engine API 1\.41\)/);
  const client = await exec(process.execPath, ['bin/shoal', '--help']);
  assert.match(client.stdout, /^Usage:  shoal \[OPTIONS\] COMMAND/);
});

test('shoald refuses bad flags with exit 2 and the reason', async () => {
  const res = await exec(process.execPath, ['bin/shoald', '--dataplane', 'ebpf'], { allowFail: true });
  assert.equal(res.code, 2);
  assert.match(res.stderr, /invalid dataplane "ebpf": use one of auto, nftables, userspace/);
});

test('shoal says where the daemon is missing', async () => {
  const res = await exec(process.execPath, ['bin/shoal', '-H', 'unix:///nonexistent/shoal.sock', 'info'], { allowFail: true });
  assert.equal(res.code, 1);
  assert.match(res.stderr, /Cannot connect to the Shoal daemon at unix:\/\/\/nonexistent\/shoal\.sock\. Is shoald running\?/);
});
