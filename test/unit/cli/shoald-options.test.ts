import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDaemonArgs, usage } from '../../../src/cli/shoald/options.js';

const noConfig = () => ({});

test('defaults are the embedded single-host setup', () => {
  const cmd = parseDaemonArgs([], noConfig);
  assert.equal(cmd.kind, 'run');
  if (cmd.kind !== 'run') return;
  assert.equal(cmd.options.dataDir, '/var/lib/shoal');
  assert.equal(cmd.options.apiSocket, '/run/shoal/shoal.sock');
  assert.equal(cmd.options.listenAddr, '0.0.0.0:2377');
  assert.equal(cmd.options.runtime, 'auto');
  assert.equal(cmd.options.dataplane, 'auto');
});

test('flags win over the config file, which wins over defaults', () => {
  const dir = mkdtempSync(join(tmpdir(), 'shoal-cfg-'));
  try {
    const file = join(dir, 'shoald.json');
    writeFileSync(file, JSON.stringify({ 'data-dir': '/srv/shoal', logLevel: 'debug', 'api-socket': '/tmp/x.sock' }));
    const cmd = parseDaemonArgs(['--config', file, '--api-socket', '/tmp/y.sock']);
    assert.equal(cmd.kind, 'run');
    if (cmd.kind !== 'run') return;
    assert.equal(cmd.options.dataDir, '/srv/shoal');
    assert.equal(cmd.options.logLevel, 'debug');
    assert.equal(cmd.options.apiSocket, '/tmp/y.sock');
    assert.equal(cmd.configFile, file);

    writeFileSync(file, '{"data-dir": ');
    assert.throws(() => parseDaemonArgs(['--config', file]), /config file .* is not valid JSON/);
    writeFileSync(file, '{"dataDirr": "/x"}');
    assert.throws(() => parseDaemonArgs(['--config', file]), /unknown option "dataDirr" in the config file/);
    assert.throws(() => parseDaemonArgs(['--config', join(dir, 'missing.json')]), /does not exist/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bad values are refused with the reason', () => {
  assert.throws(() => parseDaemonArgs(['--runtime', 'lxc'], noConfig), /invalid runtime "lxc": use one of auto, process, docker/);
  assert.throws(() => parseDaemonArgs(['--bogus'], noConfig), /Unknown option '--bogus'/);
  assert.throws(() => parseDaemonArgs(['--metrics-addr', 'localhost'], noConfig), /--metrics-addr "localhost" must be HOST:PORT/);
  const metrics = parseDaemonArgs(['--metrics-addr', '127.0.0.1:9323'], noConfig);
  assert.equal(metrics.kind === 'run' && metrics.options.metricsAddr, '127.0.0.1:9323');
  assert.throws(() => parseDaemonArgs(['--api-tcp', '0.0.0.0:2376'], noConfig), /--api-tcp needs --tlscacert, --tlscert and --tlskey/);
  assert.equal(parseDaemonArgs(['--api-tcp', '127.0.0.1:2376', '--insecure-tcp'], noConfig).kind, 'run');
  const docker = parseDaemonArgs(['--runtime', 'docker', '--docker-host', 'unix:///run/d.sock'], noConfig);
  assert.deepEqual(docker.kind === 'run' && [docker.options.runtime, docker.options.dockerHost], ['docker', 'unix:///run/d.sock']);
  assert.equal(parseDaemonArgs(['--help'], noConfig).kind, 'help');
  assert.match(usage(), /--data-dir VALUE/);
});
