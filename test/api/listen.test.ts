import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApiServer } from '../../src/api/server.js';
import { silentLogger } from '../../src/util/logger.js';
import { openStore } from '../unit/controlapi/fixture.js';
import { TestBackend, call } from './harness.js';

test('unix socket: directory made, mode 0660, a stale socket replaced, a live one refused', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'shoal-listen-'));
  const fixture = await openStore();
  const backend = new TestBackend(fixture.store);
  const socket = join(dir, 'deep', 'run', 'shoal.sock');
  // A socket file nobody listens on any more (a daemon that crashed).
  const stale = createServer();
  await new Promise<void>((r) => stale.listen(join(dir, 'stale.sock'), r));
  stale.close();
  try {
    const first = await startApiServer({ socketPath: socket, backend, logger: silentLogger });
    assert.equal(statSync(socket).mode & 0o777, 0o660);
    await assert.rejects(startApiServer({ socketPath: socket, backend, logger: silentLogger }), /another daemon is already listening/);
    await first.close();
    writeFileSync(join(dir, 'file.sock'), '');
    await assert.rejects(startApiServer({ socketPath: join(dir, 'file.sock'), backend, logger: silentLogger }), /exists and is not a socket/);
    const again = await startApiServer({ socketPath: join(dir, 'stale.sock'), backend, logger: silentLogger });
    assert.equal((await call(join(dir, 'stale.sock'), 'GET', '/_ping')).body.toString(), 'OK');
    await again.close();
  } finally {
    await fixture.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('TCP: refused without TLS unless insecureTcp is set', async () => {
  const fixture = await openStore();
  const backend = new TestBackend(fixture.store);
  try {
    await assert.rejects(
      startApiServer({ tcp: { host: '127.0.0.1', port: 0 }, backend, logger: silentLogger }),
      /refusing to serve the Engine API on tcp:\/\/127\.0\.0\.1:0 without TLS/,
    );
    const server = await startApiServer({ tcp: { host: '127.0.0.1', port: 0 }, insecureTcp: true, backend, logger: silentLogger });
    const port = server.tcpAddress!.port;
    const status = await new Promise<number>((resolve, reject) => {
      request({ host: '127.0.0.1', port, path: '/v1.41/version' }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
        .on('error', reject)
        .end();
    });
    assert.equal(status, 200);
    await server.close();
  } finally {
    await fixture.close();
  }
});
