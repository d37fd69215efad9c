import assert from 'node:assert/strict';
import { call } from '../../api/harness.js';
import { acceptable, describeRequest, prng, randomRequest, type Versions } from '../../api/fuzz-requests.js';

interface Versioned { Version: { Index: number }; Name?: string; Spec?: { Name?: string }; Description?: { Hostname: string } }

/** The Engine API fuzz against one daemon of a running cluster, over its socket. */
export interface ClusterFuzzResult {
  sent: number;
  refused: number;
  byStatus: Record<number, number>;
}

const KINDS = ['services', 'networks', 'secrets', 'configs', 'nodes'] as const;

async function list(socket: string, kind: string): Promise<Versioned[]> {
  const answer = await call(socket, 'GET', `/v1.41/${kind}`);
  return answer.status === 200 ? (answer.json() as Versioned[]) : [];
}

/** The names of every object by kind: what a refused request must leave as it was. */
async function names(socket: string): Promise<string> {
  const all = await Promise.all(KINDS.map(async (k) => `${k}: ${(await list(socket, k)).map((o) => o.Spec?.Name || o.Name || o.Description?.Hostname || '').sort().join(',')}`));
  return all.join('\n');
}

async function versions(socket: string): Promise<Versions> {
  const of = async (path: string) => {
    const a = await call(socket, 'GET', path);
    return a.status === 200 ? ((a.json() as Versioned).Version?.Index ?? 0) : 0;
  };
  const nodes = await list(socket, 'nodes');
  return {
    serviceVersion: await of('/v1.41/services/web'),
    nodeVersion: nodes[0]?.Version.Index ?? 0,
    swarmVersion: await of('/v1.41/swarm'),
    secretVersion: await of('/v1.41/secrets/s1'),
  };
}

/**
 * Sends up to `count` requests of the single-host fuzz's generator (seeded) within `timeLimitMs`:
 * each gets a Docker-like status, a refused one a `{"message"}` body and no change to which
 * objects exist (names of services, networks, secrets, configs and nodes compared around it).
 */
export async function fuzzCluster(socket: string, seed: number, count: number, timeLimitMs: number): Promise<ClusterFuzzResult> {
  const r = prng(seed);
  const started = Date.now();
  const result: ClusterFuzzResult = { sent: 0, refused: 0, byStatus: {} };
  for (let i = 0; i < count && Date.now() - started < timeLimitMs; i++) {
    const req = randomRequest(r, await versions(socket));
    const before = await names(socket);
    const answer = await Promise.race([
      call(socket, req.method, req.path, req.body, req.headers),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer in 10 s: request #${i}: ${req.method} ${req.path}`)), 10_000).unref()),
    ]);
    const what = `request #${i} (seed ${seed}): ${describeRequest(req, answer)}`;
    result.sent++;
    result.byStatus[answer.status] = (result.byStatus[answer.status] ?? 0) + 1;
    assert.ok(acceptable(answer), `unexpected status: ${what}`);
    if (answer.status >= 400) {
      result.refused++;
      assert.match(answer.body.toString(), /^\{"message":".*"\}\n$/s, `error without a message: ${what}`);
      assert.equal(await names(socket), before, `a refused request changed which objects exist: ${what}`);
    }
  }
  return result;
}
