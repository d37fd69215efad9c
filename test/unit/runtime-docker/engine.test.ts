import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { connectEngine, engineError, engineMessage, progressError } from '../../../src/runtime/docker/engine.js';

test('only a unix socket is taken: the engine must run on this host', () => {
  assert.equal((connectEngine('unix:///var/run/docker.sock').modem as { socketPath?: string }).socketPath, '/var/run/docker.sock');
  assert.throws(() => connectEngine('tcp://10.0.0.1:2375'), /must be unix:\/\/\/path\/to\/docker.sock: .* the engine must run on this host/);
  assert.throws(() => connectEngine('/var/run/docker.sock'), /must be unix:/);
});

test("engine errors keep the engine's message and map its status", () => {
  const err = Object.assign(new Error('(HTTP code 404) no such container'), { statusCode: 404, json: { message: 'No such container: x' } });
  assert.equal(engineMessage(err), 'No such container: x');
  assert.equal(engineError('stopping', err).code, 'not_found');
  assert.equal(engineError('stopping', err).message, 'stopping: No such container: x');
  assert.equal(engineError('x', Object.assign(new Error('e'), { statusCode: 409 })).code, 'conflict');
  assert.equal(engineError('x', new Error('connect ENOENT /run/docker.sock')).code, 'unavailable');
  assert.equal(engineError('x', Object.assign(new Error('e'), { statusCode: 500 })).code, 'internal');
  const streamed = Object.assign(new Error('(HTTP code 500) server error - Get "https://registry-1.docker.io/v2/": dial tcp: no route '), { statusCode: 500, json: null });
  assert.equal(engineMessage(streamed), 'Get "https://registry-1.docker.io/v2/": dial tcp: no route');
});

test('progress streams: the error line wins, a clean stream has none', async () => {
  const lines = (...objs: object[]) => Readable.from([objs.map((o) => JSON.stringify(o)).join('\r\n') + '\r\n']);
  assert.equal(await progressError(lines({ status: 'Pulling from library/x' }, { status: 'Done' })), undefined);
  assert.equal(
    await progressError(lines({ status: 'Pulling' }, { errorDetail: { message: 'manifest unknown' }, error: 'manifest unknown' })),
    'manifest unknown',
  );
  assert.match((await progressError(Readable.from(['not json\n'])))!, /unreadable progress/);
});
