import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/** What a host remembers about its own place in the swarm, across restarts. */
export interface NodeState {
  nodeId: string;
  role: 'manager' | 'worker';
  advertiseAddr: string;
  listenAddr: string;
}

export const swarmDir = (dataDir: string): string => join(dataDir, 'swarm');
const statePath = (dataDir: string): string => join(swarmDir(dataDir), 'node.json');

export function readNodeState(dataDir: string): NodeState | undefined {
  const path = statePath(dataDir);
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as NodeState) : undefined;
}

export function writeNodeState(dataDir: string, state: NodeState): void {
  mkdirSync(swarmDir(dataDir), { recursive: true, mode: 0o700 });
  const tmp = `${statePath(dataDir)}.tmp`;
  writeFileSync(tmp, JSON.stringify(state, null, 2), { mode: 0o600 });
  renameSync(tmp, statePath(dataDir));
}

/** Forgets the swarm: its state, store and keys (`swarm leave`). */
export function clearSwarmState(dataDir: string): void {
  rmSync(swarmDir(dataDir), { recursive: true, force: true });
}
