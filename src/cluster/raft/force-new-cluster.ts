import { decodeConfChange, encodeConfChange } from './core/conf-change.js';
import type { Entry, NodeId } from './core/types.js';
import type { RaftStorage } from './storage/types.js';

/**
 * `swarm init --force-new-cluster`: keeps this member's state and makes it the only member.
 * Everything in its log counts as committed (it is the best copy left), and a removal of every
 * other member is appended and committed, so on start it elects itself (as etcd does).
 */
export async function forceNewCluster(storage: RaftStorage, self: NodeId): Promise<NodeId[]> {
  const { hardState, snapshot, entries } = storage.load();
  const members = new Set<NodeId>([...(snapshot?.meta.conf.voters ?? []), ...(snapshot?.meta.conf.learners ?? [])]);
  for (const e of entries) {
    if (e.type !== 'conf') continue;
    const cc = decodeConfChange(e.data);
    if (cc.type === 'removeNode') members.delete(cc.node);
    else members.add(cc.node);
  }
  const others = [...members].filter((m) => m !== self).sort();
  const last = entries[entries.length - 1];
  let index = last?.index ?? snapshot?.meta.index ?? 0;
  const term = Math.max(hardState.term, last?.term ?? 0, snapshot?.meta.term ?? 0, 1);
  const removals: Entry[] = others.map((node) => ({ term, index: ++index, type: 'conf', data: encodeConfChange({ type: 'removeNode', node }) }));
  await storage.save({ term, vote: hardState.vote, commit: index }, removals);
  return others;
}
