import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { NodeCredentials } from '../cluster/rpc/tls.js';

/** What a host remembers about its own place in the swarm, across restarts. */
export interface NodeState {
  nodeId: string;
  clusterId: string;
  role: 'manager' | 'worker';
  advertiseAddr: string;
  listenAddr: string;
  /** The managers' cluster addresses (host:port), as last heard. */
  managers: string[];
}

export const swarmDir = (dataDir: string): string => join(dataDir, 'swarm');
const statePath = (dataDir: string): string => join(swarmDir(dataDir), 'node.json');
const certDir = (dataDir: string): string => join(swarmDir(dataDir), 'certificates');

function writeAtomically(path: string, data: string): void {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, data, { mode: 0o600 });
  renameSync(tmp, path);
}

export function readNodeState(dataDir: string): NodeState | undefined {
  const path = statePath(dataDir);
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as NodeState) : undefined;
}

export function writeNodeState(dataDir: string, state: NodeState): void {
  mkdirSync(swarmDir(dataDir), { recursive: true, mode: 0o700 });
  writeAtomically(statePath(dataDir), JSON.stringify(state, null, 2));
}

/** The host's root certificate, own certificate and key, as swarmkit keeps them (key readable by root only). */
export function readCredentials(dataDir: string): NodeCredentials {
  const dir = certDir(dataDir);
  return {
    caCertPem: readFileSync(join(dir, 'swarm-root-ca.crt'), 'utf8'),
    certPem: readFileSync(join(dir, 'swarm-node.crt'), 'utf8'),
    keyPem: readFileSync(join(dir, 'swarm-node.key'), 'utf8'),
  };
}

export function writeCredentials(dataDir: string, creds: NodeCredentials): void {
  const dir = certDir(dataDir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeAtomically(join(dir, 'swarm-root-ca.crt'), creds.caCertPem);
  writeAtomically(join(dir, 'swarm-node.key'), creds.keyPem);
  writeAtomically(join(dir, 'swarm-node.crt'), creds.certPem);
}

/** Forgets the swarm: its state, store and keys (`swarm leave`). */
export function clearSwarmState(dataDir: string): void {
  rmSync(swarmDir(dataDir), { recursive: true, force: true });
}
