import type { Entry, NodeId } from './types.js';

/** One membership change, carried in a `conf` entry. Changes apply one at a time. */
export interface ConfChange {
  type: 'addVoter' | 'addLearner' | 'removeNode';
  node: NodeId;
  /** What the application needs to reach the member (its address), opaque to the core. */
  context?: string;
}

export const encodeConfChange = (cc: ConfChange): string => JSON.stringify(cc);

export function decodeConfChange(data: string): ConfChange {
  const cc = JSON.parse(data) as ConfChange;
  if (!['addVoter', 'addLearner', 'removeNode'].includes(cc.type) || typeof cc.node !== 'string' || !cc.node) {
    throw new Error(`malformed membership change ${data.slice(0, 200)}`);
  }
  return cc;
}

/**
 * The log every founding member starts with: one committed `addVoter` per member at term 1, so
 * a member that joins later learns the founders from the log like any other change.
 */
export function bootstrapEntries(members: readonly { node: string; context?: string }[]): Entry[] {
  return members.map((m, i) => ({ term: 1, index: i + 1, type: 'conf', data: encodeConfChange({ type: 'addVoter', node: m.node, context: m.context }) }));
}
