import { removeCgroups } from './cgroups.js';
import { removeTree } from './mounts.js';
import { netnsName, prefixOfNetns, stateDir, workDir } from './names.js';
import { deleteNetns, listNetns, netnsPath } from './netns.js';
import { killTrees, pidsInNetns } from './pids.js';

/** The cgroup parent given to Docker engines of a lab; removed by teardown. */
export const labCgroupName = (prefix: string, host: string): string => `${netnsName(prefix, host)}-docker`;

/**
 * Removes everything a lab run made, found by its prefix: processes in its namespaces (and
 * `extraPids`) with their descendants, the namespaces (their devices go with them), cgroups,
 * the work folder and, last, the state folder with the owner marker.
 */
export async function teardownRun(prefix: string, extraPids: readonly number[] = []): Promise<void> {
  const namespaces = (await listNetns()).filter((ns) => prefixOfNetns(ns) === prefix);
  await killTrees([...extraPids, ...namespaces.flatMap((ns) => pidsInNetns(netnsPath(ns)))]);
  for (const ns of namespaces) await deleteNetns(ns);
  removeCgroups(`${prefix}-`);
  await removeTree(workDir(prefix));
  await removeTree(stateDir(prefix));
}
