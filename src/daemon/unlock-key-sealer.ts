import type { RaftStore } from '../cluster/raft/raft-store.js';
import type { Logger } from '../util/logger.js';

/**
 * Keeps this manager's data key at rest sealed by the cluster's current unlock key, as the store
 * replicates it: autolock turned on (`swarm init --autolock`, `swarm update --autolock=true`), its
 * key rotated (`swarm unlock-key --rotate`), or turned off (the key kept in the clear). Every
 * manager does this for itself, so each needs the current key after a restart. Returns the unwatch.
 */
export function followUnlockKey(store: RaftStore, openedWith: string | undefined, log: Logger): () => void {
  let sealedWith = openedWith;
  const check = (): void => {
    const key = store.view((tx) => tx.list('cluster')[0]?.UnlockKey);
    if (key === sealedWith) return;
    store.setUnlockKey(key);
    sealedWith = key;
    log.info({ autolock: Boolean(key) }, key ? 'data key sealed by the current unlock key' : 'autolock off: data key kept in the clear');
  };
  check();
  return store.watch((events) => {
    if (events.some((e) => e.table === 'cluster')) check();
  });
}
