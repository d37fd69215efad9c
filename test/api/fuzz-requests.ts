import type { HttpAnswer } from './harness.js';
import { cliServiceSpec } from '../unit/controlapi/fixture.js';
import { Prng } from '../sim/prng.js';

// The Engine API fuzz's request generator (seeded): the single-host fuzz (fuzz.test.ts) and the
// cluster's bad-input suite (e2e/bad-input-cluster.test.ts) draw from it.

/** The simulation's seeded PRNG, as a function. */
export function prng(seed: number): () => number {
  const p = new Prng(seed);
  return () => p.next();
}

type Body = unknown;
interface Template {
  method: string;
  path: (v: Vars) => string;
  body?: (v: Vars) => Body;
  /** A streaming endpoint: its query (until, follow) is what makes it end, so it is kept. */
  stream?: boolean;
}
export interface Vars {
  serviceVersion: number;
  nodeVersion: number;
  swarmVersion: number;
  secretVersion: number;
  name: string;
}

export const b64 = (s: string): string => Buffer.from(s).toString('base64');

const TEMPLATES: Template[] = [
  { method: 'POST', path: () => '/v1.41/services/create', body: (v) => cliServiceSpec(v.name, { EndpointSpec: { Mode: 'vip', Ports: [{ TargetPort: 80, PublishedPort: 8000 }] } }) },
  { method: 'POST', path: (v) => `/v1.41/services/web/update?version=${v.serviceVersion}`, body: () => cliServiceSpec('web', { Mode: { Replicated: { Replicas: 2 } } }) },
  { method: 'POST', path: (v) => `/v1.41/services/web/update?rollback=previous&version=${v.serviceVersion}`, body: () => cliServiceSpec('web') },
  { method: 'DELETE', path: (v) => `/v1.41/services/${encodeURIComponent(v.name)}` },
  { method: 'GET', path: () => '/v1.41/services?status=true&filters=%7B%22name%22%3A%7B%22web%22%3Atrue%7D%7D' },
  { method: 'GET', path: () => '/v1.41/services/web?insertDefaults=true' },
  { method: 'GET', path: () => '/v1.41/tasks?filters=%7B%22_up-to-date%22%3A%7B%22true%22%3Atrue%7D%2C%22service%22%3A%7B%22web%22%3Atrue%7D%7D' },
  { method: 'GET', path: () => '/v1.41/services/web/logs?stdout=1&stderr=1&details=1&tail=10', stream: true },
  { method: 'POST', path: () => '/v1.41/networks/create', body: (v) => ({ Name: v.name, Driver: 'overlay', CheckDuplicate: true, IPAM: { Driver: 'default', Config: [{ Subnet: '10.7.0.0/24', Gateway: '10.7.0.1' }] } }) },
  { method: 'DELETE', path: (v) => `/v1.41/networks/${encodeURIComponent(v.name)}` },
  { method: 'GET', path: () => '/v1.41/networks?filters=%7B%22driver%22%3A%7B%22overlay%22%3Atrue%7D%7D' },
  { method: 'POST', path: () => '/v1.41/secrets/create', body: (v) => ({ Name: v.name, Labels: {}, Data: b64('value') }) },
  { method: 'POST', path: () => '/v1.41/configs/create', body: (v) => ({ Name: v.name, Labels: {}, Data: b64('key=value') }) },
  { method: 'POST', path: (v) => `/v1.41/secrets/s1/update?version=${v.secretVersion}`, body: () => ({ Name: 's1', Labels: { a: 'b' } }) },
  { method: 'DELETE', path: (v) => `/v1.41/secrets/${encodeURIComponent(v.name)}` },
  { method: 'POST', path: (v) => `/v1.41/nodes/vm/update?version=${v.nodeVersion}`, body: () => ({ Labels: {}, Role: 'manager', Availability: 'active' }) },
  { method: 'DELETE', path: () => '/v1.41/nodes/vm?force=1' },
  { method: 'GET', path: () => '/v1.41/nodes?filters=%7B%22role%22%3A%7B%22manager%22%3Atrue%7D%7D' },
  {
    method: 'POST',
    path: (v) => `/v1.41/swarm/update?rotateWorkerToken=false&rotateManagerToken=true&rotateManagerUnlockKey=false&version=${v.swarmVersion}`,
    body: () => ({ Name: 'default', Orchestration: { TaskHistoryRetentionLimit: 5 }, CAConfig: { NodeCertExpiry: 7776000000000000 } }),
  },
  { method: 'POST', path: () => '/v1.41/swarm/init', body: () => ({ ListenAddr: '0.0.0.0:2377', AdvertiseAddr: '10.250.0.2' }) },
  { method: 'GET', path: () => '/v1.41/info' },
  { method: 'GET', path: () => `/v1.41/events?since=0&until=${Math.floor(Date.now() / 1000) - 1}`, stream: true },
  { method: 'GET', path: () => '/v1.41/distribution/localbusybox:1/json' },
];

export const NAMES = ['web', 'appnet', 's1', 'c1', 'ingress', 'vm', 'x', '-bad', 'a.b', 'UPPER', '', 'é', 'a'.repeat(70)];

function randomValue(r: () => number, depth = 0): unknown {
  switch (Math.floor(r() * (depth > 2 ? 7 : 9))) {
    case 0: return null;
    case 1: return r() < 0.5;
    case 2: return [-1, 0, 1, 65536, 2 ** 53, 1.5, -(2 ** 40), 1e308][Math.floor(r() * 8)];
    case 3: return NAMES[Math.floor(r() * NAMES.length)];
    case 4: return ['vip', 'dnsrr', 'tcp', 'udp', 'host', 'ingress', 'any', 'none', 'drain', 'manager', 'worker', 'pause'][Math.floor(r() * 12)];
    case 5: return 'x'.repeat(Math.floor(r() * 300));
    case 6: return String.fromCharCode(...Array.from({ length: 8 }, () => Math.floor(r() * 0x3000)));
    case 7: return Array.from({ length: Math.floor(r() * 3) }, () => randomValue(r, depth + 1));
    default: return Object.fromEntries(Array.from({ length: Math.floor(r() * 3) }, () => [NAMES[Math.floor(r() * NAMES.length)]!, randomValue(r, depth + 1)]));
  }
}

/** Replaces, deletes or adds one value somewhere in a JSON document. */
function mutate(doc: unknown, r: () => number): unknown {
  if (typeof doc !== 'object' || doc === null || r() < 0.15) return randomValue(r);
  const copy: Record<string, unknown> = Array.isArray(doc) ? ([...doc] as unknown as Record<string, unknown>) : { ...(doc as Record<string, unknown>) };
  const keys = Object.keys(copy);
  const roll = r();
  if (keys.length === 0 || roll < 0.2) copy[['Name', 'Mode', 'Labels', 'Data', 'Role', 'Ports', 'Spec', 'Bogus'][Math.floor(r() * 8)]!] = randomValue(r);
  else {
    const key = keys[Math.floor(r() * keys.length)]!;
    if (roll < 0.35) delete copy[key];
    else copy[key] = mutate(copy[key], r);
  }
  return copy;
}

function randomQuery(r: () => number): string {
  const filters = [
    '{"name":{"web":true}}',
    '{"id":["x"]}',
    '{"label":{"a=b":true},"mode":{"global":true}}',
    '{"bogus":{"x":true}}',
    '{"name":{"x":1}}',
    '[1,2]',
    'not json',
    '{"desired-state":{"dancing":true}}',
    '{"role":{"boss":true}}',
    '{"type":{"odd":true}}',
  ];
  const parts = [`filters=${encodeURIComponent(filters[Math.floor(r() * filters.length)]!)}`];
  if (r() < 0.5) parts.push(`version=${encodeURIComponent(String(randomValue(r)))}`);
  if (r() < 0.3) parts.push(`rollback=${r() < 0.5 ? 'previous' : 'sideways'}`);
  if (r() < 0.3) parts.push('force=1', 'insertDefaults=1', 'status=1');
  return parts.join('&');
}

/** Statuses a request may get; 500 only for Docker's stale-version answer. */
export function acceptable(answer: HttpAnswer): boolean {
  if ([200, 201, 204, 400, 403, 404, 409, 413, 501, 503].includes(answer.status)) return true;
  return answer.status === 500 && answer.body.toString().includes('update out of sequence');
}

/** The versions a request's `?version=` may use (the objects' current ones, read by the caller). */
export type Versions = Omit<Vars, 'name'>;

export interface FuzzRequest {
  method: string;
  path: string;
  body?: Body | string | Buffer;
  headers: Record<string, string>;
}

/** One random or mutated request at one of the Engine API's endpoints. */
export function randomRequest(r: () => number, versions: Versions): FuzzRequest {
  const vars: Vars = { ...versions, name: NAMES[Math.floor(r() * NAMES.length)]! };
  if (r() < 0.3) vars.serviceVersion += 1;
  const t = TEMPLATES[Math.floor(r() * TEMPLATES.length)]!;
  let path = t.path(vars);
  if (!t.stream && r() < 0.3) path = `${path.split('?')[0]}?${randomQuery(r)}`;
  let body: Body | string | Buffer | undefined = t.body?.(vars);
  const roll = r();
  if (body !== undefined && roll < 0.6) body = mutate(body, r);
  else if (body !== undefined && roll < 0.7) body = JSON.stringify(body).slice(0, Math.floor(r() * 40));
  else if (roll < 0.75) body = Buffer.from(Array.from({ length: Math.floor(r() * 64) }, () => Math.floor(r() * 256)));
  const headers: Record<string, string> = r() < 0.05 ? { 'Content-Type': 'text/plain' } : {};
  return { method: t.method, path, body, headers };
}

/** How a request and its answer read in a failure message. */
export function describeRequest(req: FuzzRequest, answer: HttpAnswer): string {
  const body = typeof req.body === 'string' ? req.body : JSON.stringify(req.body)?.slice(0, 300);
  return `${req.method} ${req.path} ${body} → ${answer.status} ${answer.body.toString().slice(0, 300)}`;
}
