import type { ReadTx } from '../store/index.js';
import type { EndpointTable } from '../endpoints/types.js';
import type { SessionMessage } from '../rpc/services.js';
import type { TaskObject } from '../types.js';
import { signingRoot, trustedRoots } from '../ca/root-ca.js';

/**
 * What one host's session has been sent, so each push carries only what changed: tasks by
 * version, the data of the secrets and configs they use, the node object and the endpoint table.
 */
export class SessionState {
  /** The copy of each task last sent to the host. */
  private readonly sent: Map<string, TaskObject>;
  private readonly sentSecrets = new Set<string>();
  private readonly sentConfigs = new Set<string>();
  private nodeVersion = -1;
  private tableJson = '';
  private caJson = '';
  private first = true;

  /**
   * `previous`: the state of this host's earlier session with this leader. Its new session starts
   * with a full set, in which a task whose stop is still held back goes as last sent (wanted
   * running): without it the host would take the task for deleted and stop it past the barrier.
   */
  constructor(readonly nodeId: string, previous?: SessionState) {
    this.sent = new Map(previous?.sent);
  }

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
    const changed: TaskObject[] = [];
    for (const t of tasks) {
      if (this.first || this.sent.get(t.ID)?.Version.Index !== t.Version.Index) {
        if (maySend(t)) changed.push(t);
        else if (this.first && this.sent.has(t.ID)) changed.push(this.sent.get(t.ID)!); // held: as the host last had it
      }
    }
    const present = new Set(tasks.map((t) => t.ID));
    const removed = this.first ? [] : [...this.sent.keys()].filter((id) => !present.has(id));
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
    const rootCA = tx.list('cluster')[0]?.RootCA;
    const ca = rootCA && { trustPem: trustedRoots(rootCA), issuerPem: signingRoot(rootCA).certPem };
    const caJson = JSON.stringify(ca ?? null);
    const caChanged = caJson !== this.caJson;
    if (!this.first && changed.length === 0 && removed.length === 0 && !nodeChanged && !tableChanged && !caChanged) return undefined;

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
      ...(caChanged && ca ? { ca } : {}),
    };
    this.first = false;
    if (msg.kind === 'full') for (const id of this.sent.keys()) if (!present.has(id)) this.sent.delete(id);
    for (const t of changed) this.sent.set(t.ID, t);
    for (const id of removed) this.sent.delete(id);
    for (const id of Object.keys(secrets)) this.sentSecrets.add(id);
    for (const id of Object.keys(configs)) this.sentConfigs.add(id);
    if (node) this.nodeVersion = node.Version.Index;
    this.tableJson = tableJson;
    this.caJson = caJson;
    return msg;
  }
}
