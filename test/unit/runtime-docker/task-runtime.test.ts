import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDaemonArgs } from '../../../src/cli/shoald/options.js';
import { chooseTaskRuntime } from '../../../src/daemon/task-runtime.js';
import { ImageStore } from '../../../src/runtime/images/index.js';
import { silentLogger } from '../../../src/util/logger.js';

const options = (...args: string[]) => {
  const cmd = parseDaemonArgs(['--data-dir', '/tmp/shoal-runtime-choice', ...args], () => ({}));
  assert.equal(cmd.kind, 'run');
  return cmd.options;
};
const images = new ImageStore({ dataDir: '/tmp/shoal-runtime-choice', logger: silentLogger });
const NO_ENGINE = 'unix:///nonexistent/docker.sock';

test('--runtime process, and auto where no engine answers, choose the process executor', async () => {
  assert.equal((await chooseTaskRuntime(options('--runtime', 'process'), images, silentLogger)).kind, 'process');
  assert.equal((await chooseTaskRuntime(options('--docker-host', NO_ENGINE), images, silentLogger)).kind, 'process');
  assert.equal((await chooseTaskRuntime(options('--docker-host', 'tcp://127.0.0.1:2375'), images, silentLogger)).kind, 'process');
});

test('--runtime docker without an engine fails with the reason', async () => {
  await assert.rejects(chooseTaskRuntime(options('--runtime', 'docker', '--docker-host', NO_ENGINE), images, silentLogger), /--runtime docker: no Docker engine answers at unix:\/\/\/nonexistent\/docker.sock/);
  await assert.rejects(chooseTaskRuntime(options('--runtime', 'docker', '--docker-host', 'tcp://10.0.0.1:2375'), images, silentLogger), /--runtime docker: --docker-host "tcp:\/\/10.0.0.1:2375" must be unix:/);
});

test('auto chooses docker where an engine answers /_ping', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'shoal-ping-'));
  const engine = createServer((req, res) => res.writeHead(req.url?.endsWith('/_ping') ? 200 : 404).end('OK'));
  try {
    await new Promise<void>((resolve) => engine.listen(join(dir, 'docker.sock'), resolve));
    const runtime = await chooseTaskRuntime(options('--docker-host', `unix://${join(dir, 'docker.sock')}`), images, silentLogger);
    assert.equal(runtime.kind, 'docker');
    runtime.close();
  } finally {
    engine.close();
    await rm(dir, { recursive: true, force: true });
  }
});
