import { NAMESPACE_LABEL } from '../../../../stack/objects.js';
import { ShoalError } from '../../../../util/errors.js';
import { filtersQuery, type EngineClient } from '../../engine-client.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- Engine API documents are read field by field */
export type Doc = Record<string, any>;

/** The `filters` query selecting a stack's objects by Docker's namespace label (plus any other filters). */
export const stackFilters = (stack: string, more: Record<string, string[]> = {}): string | undefined =>
  filtersQuery({ ...more, label: [...(more.label ?? []), `${NAMESPACE_LABEL}=${stack}`] });

/** The stack's objects of one kind (`services`, `networks`, `secrets`, `configs`, `tasks`), as docker stack rm and deploy read them. */
export const stackObjects = (client: EngineClient, stack: string, kind: 'services' | 'networks' | 'secrets' | 'configs' | 'tasks'): Promise<Doc[]> =>
  client.get<Doc[]>(`/${kind}`, { filters: stackFilters(stack) });

/** Docker's refusal on a node that cannot take swarm writes. */
export async function requireManager(client: EngineClient): Promise<void> {
  const info = await client.get<Doc>('/info');
  if (!info.Swarm?.ControlAvailable) {
    throw new ShoalError('failed_precondition', 'this node is not a swarm manager. Use "docker swarm init" or "docker swarm join" to connect this node to swarm and try again');
  }
}
