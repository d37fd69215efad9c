import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cliServiceSpec } from '../unit/controlapi/fixture.js';
import { call, startHarness } from './harness.js';
import { acceptable, b64, describeRequest, prng, randomRequest } from './fuzz-requests.js';

// Random and mutated requests at every endpoint (seeded, so a failure reproduces with its seed):
// the server must answer each with a sensible status, a refused request must leave the store as
// it was, and the server must still be healthy at the end.

const SEED = Number(process.env['SHOAL_FUZZ_SEED'] ?? 20261121);
const REQUESTS = 3000;
const TIME_LIMIT_MS = 60_000;

test(`fuzz: ${REQUESTS} random and mutated requests (seed ${SEED})`, async () => {
  const h = await startHarness();
  const r = prng(SEED);
  const started = Date.now();
  let refused = 0;
  try {
    await call(h.socket, 'POST', '/v1.41/services/create', cliServiceSpec('web'));
    await call(h.socket, 'POST', '/v1.41/secrets/create', { Name: 's1', Data: b64('v') });
    for (let i = 0; i < REQUESTS && Date.now() - started < TIME_LIMIT_MS; i++) {
      const versions = h.store.view((tx) => ({
        serviceVersion: tx.find('services', 'name', 'web')[0]?.Version.Index ?? 0,
        nodeVersion: tx.list('nodes')[0]?.Version.Index ?? 0,
        swarmVersion: tx.list('cluster')[0]?.Version.Index ?? 0,
        secretVersion: tx.find('secrets', 'name', 's1')[0]?.Version.Index ?? 0,
      }));
      const req = randomRequest(r, versions);
      const before = h.store.view((tx) => tx.index);
      const answer = await Promise.race([
        call(h.socket, req.method, req.path, req.body, req.headers),
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer in 5 s: request #${i}: ${req.method} ${req.path}`)), 5000).unref()),
      ]);
      const what = `request #${i} (seed ${SEED}): ${describeRequest(req, answer)}`;
      assert.ok(acceptable(answer), `unexpected status: ${what}`);
      if (answer.status >= 400) {
        refused++;
        assert.equal(h.store.view((tx) => tx.index), before, `a refused request changed the store: ${what}`);
        assert.match(answer.body.toString(), /^\{"message":".*"\}\n$/s, `error without a message: ${what}`);
      }
    }
    assert.ok(refused > 100, `only ${refused} requests were refused: the fuzzer is not reaching the checks`);
    const ping = await call(h.socket, 'GET', '/_ping');
    assert.equal(ping.body.toString(), 'OK');
  } finally {
    await h.close();
  }
});
