import { request } from 'node:https';
import { isIP } from 'node:net';
import { connect } from 'node:tls';
import { ShoalError, errorMessage } from '../../util/errors.js';
import type { ExternalCA } from '../types.js';

const SIGN_PATH = '/api/v1/cfssl/sign';
const TIMEOUT_MS = 10_000;

/** A manager's own certificate (with its chain) and key: what it shows an external CA that asks for one (mutual TLS). */
export interface ClientIdentity {
  certPem: string;
  keyPem: string;
}

export interface ExternalSignRequest {
  csrPem: string;
  /** The names the managers decide: node ID, role OU, cluster ID. */
  cn: string;
  ou: string;
  o: string;
}

/** The sign endpoint of an external CA: its URL, with cfssl's sign path when the URL names none. */
export function signUrl(ca: ExternalCA): URL {
  const url = new URL(ca.URL);
  if (url.pathname === '' || url.pathname === '/') url.pathname = SIGN_PATH;
  return url;
}

/**
 * Has an external CA sign a node certificate with cfssl's sign API (POST JSON
 * `{certificate_request, hosts, subject}` → `{success, result: {certificate}}`), over HTTPS that
 * trusts `trustPem` (the root the CA signs with), showing the manager's own certificate when it has
 * one, as swarmkit does. Throws `unavailable` naming the URL when the CA cannot be reached or refuses.
 */
export async function cfsslSign(ca: ExternalCA, trustPem: string, req: ExternalSignRequest, client?: ClientIdentity): Promise<string> {
  const url = signUrl(ca);
  if (ca.Protocol.toLowerCase() !== 'cfssl') throw new ShoalError('invalid_argument', `external CA ${url.href}: protocol "${ca.Protocol}" is not supported (only cfssl)`);
  const body = JSON.stringify({
    certificate_request: req.csrPem,
    hosts: [req.ou, req.cn],
    subject: { CN: req.cn, names: [{ O: req.o, OU: req.ou }] },
  });
  let reply: string;
  try {
    reply = await post(url, body, { ca: trustPem, cert: client?.certPem, key: client?.keyPem });
  } catch (err) {
    throw new ShoalError('unavailable', `the external CA at ${url.href} could not be reached${clientCertHint(err, client)}: ${errorMessage(err)}; check that it runs and this manager can reach it, or change it with "docker swarm update --external-ca"`);
  }
  let parsed: { success?: boolean; result?: { certificate?: string }; errors?: { message?: string }[] };
  try {
    parsed = JSON.parse(reply) as typeof parsed;
  } catch {
    throw new ShoalError('unavailable', `the external CA at ${url.href} did not answer with cfssl JSON: ${reply.slice(0, 200)}`);
  }
  const certificate = parsed.result?.certificate;
  if (!parsed.success || !certificate) {
    const why = parsed.errors?.map((e) => e.message).join('; ') || 'no certificate in its answer';
    throw new ShoalError('unavailable', `the external CA at ${url.href} refused to sign the node certificate: ${why}`);
  }
  return certificate;
}

/** Why a CA with mutual TLS refused the connection, when it did. */
function clientCertHint(err: unknown, client: ClientIdentity | undefined): string {
  if (!/alert bad certificate|certificate required/.test(errorMessage(err))) return '';
  return client
    ? ' (it refused this manager\'s certificate: a CA with mutual TLS must trust the swarm\'s root)'
    : ' (it asks for a client certificate, and a manager has none before the swarm exists: swarm init needs a CA without mutual TLS)';
}

/**
 * Fails unless one of `cas` answers a TLS handshake with a certificate from `rootPem` (as swarmkit
 * checks before the swarm relies on a root whose key only external CAs hold). `which` names the
 * root in the error: "desired" (a rotation's new root) or "current".
 */
export async function requireReachableExternalCA(cas: ExternalCA[], rootPem: string, which: string): Promise<void> {
  const failures: string[] = [];
  for (const ca of cas) {
    const url = signUrl(ca);
    try {
      return await handshake(url, rootPem);
    } catch (err) {
      failures.push(`${url.href}: ${errorMessage(err)}`);
    }
  }
  const why = failures.length ? `none could be reached (${failures.join('; ')})` : 'none is given for it';
  throw new ShoalError('invalid_argument', `the swarm holds no key for the ${which} root CA, so an external CA must sign with it, but ${why}: start the CA or give its URL with --external-ca protocol=cfssl,url=<url>,cacert=<root>`);
}

function handshake(url: URL, trustPem: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const socket = connect({ host, port: Number(url.port || 443), ca: trustPem, servername: isIP(host) ? undefined : host, timeout: TIMEOUT_MS }, () => {
      socket.end();
      resolve();
    });
    socket.on('timeout', () => socket.destroy(new Error(`no answer within ${TIMEOUT_MS / 1000}s`)));
    socket.on('error', reject);
  });
}

function post(url: URL, body: string, tls: { ca: string; cert?: string; key?: string }): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', ...tls, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }, timeout: TIMEOUT_MS }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        if ((res.statusCode ?? 500) >= 400 && !text.trim().startsWith('{')) reject(new Error(`HTTP ${res.statusCode}: ${text.slice(0, 200)}`));
        else resolve(text);
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${TIMEOUT_MS / 1000}s`)));
    req.on('error', reject);
    req.end(body);
  });
}
