import type { ReadTx } from '../store/index.js';
import type { EndpointTable } from '../endpoints/types.js';
import type { SessionMessage } from '../rpc/services.js';
import type { TaskObject } from '../types.js';

/**
 * What one host's session has been sent, so each push carries only what changed: tasks by
 * version, the data of the secrets and configs they use, the node object and the endpoint table.
 */
export class SessionState {
  private readonly taskVersions = new Map<string, number>();
  private readonly sentSecrets = new Set<string>();
  private readonly sentConfigs = new Set<string>();
  private nodeVersion = -1;
  private tableJson = '';
  private first = true;

  constructor(readonly nodeId: string) {}

  /**
   * The next message for this host, or undefined when nothing it knows of changed. A task change
   * `maySend` holds back (a stop waiting for the drain barrier) goes in a later message.
   */
  next(
    tx: ReadTx,
    table: EndpointTable,
    tableJson: string,
    heartbeatPeriodMs: number,
    managers: SessionMessage['managers'],
    maySend: (task: TaskObject) => boolean = () => true,
  ): SessionMessage | undefined {
    const tasks = tx.find('tasks', 'node', this.nodeId);
    const changed = tasks.filter((t) => this.taskVersions.get(t.ID) !== t.Version.Index && maySend(t));
    const present = new Set(tasks.map((t) => t.ID));
    const removed = [...this.taskVersions.keys()].filter((id) => !present.has(id));
    const secrets: Record<string, string> = {};
    const configs: Record<string, string> = {};
    const serviceNames: Record<string, string> = {};
    for (const t of changed) {
      const c = t.Spec.ContainerSpec;
      for (const s of c?.Secrets ?? []) {
        const data = tx.get('secrets', s.SecretID)?.Spec.Data;
        if (data !== undefined && !this.sentSecrets.has(s.SecretID)) secrets[s.SecretID] = data;
      }
      for (const cf of c?.Configs ?? []) {
        const data = tx.get('configs', cf.ConfigID)?.Spec.Data;
        if (data !== undefined && !this.sentConfigs.has(cf.ConfigID)) configs[cf.ConfigID] = data;
      }
      const svc = tx.get('services', t.ServiceID);
      if (svc) serviceNames[t.ServiceID] = svc.Spec.Name;
    }
    const node = tx.get('nodes', this.nodeId);
    const nodeChanged = !!node && node.Version.Index !== this.nodeVersion;
    const tableChanged = tableJson !== this.tableJson;
    if (!this.first && changed.length === 0 && removed.length === 0 && !nodeChanged && !tableChanged) return undefined;

    const msg: SessionMessage = {
      kind: this.first ? 'full' : 'update',
      tasks: changed,
      removedTasks: removed,
      secrets,
      configs,
      serviceNames,
      ...(nodeChanged ? { node } : {}),
      heartbeatPeriodMs,
      managers,
      ...(tableChanged ? { endpoints: table } : {}),
    };
    this.first = false;
    for (const t of changed) this.taskVersions.set(t.ID, t.Version.Index);
    for (const id of removed) this.taskVersions.delete(id);
    for (const id of Object.keys(secrets)) this.sentSecrets.add(id);
    for (const id of Object.keys(configs)) this.sentConfigs.add(id);
    if (node) this.nodeVersion = node.Version.Index;
    this.tableJson = tableJson;
    return msg;
  }
}
