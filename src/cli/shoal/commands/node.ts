import type { Command, CommandGroup, Context } from '../command.js';
import type { Flags } from '../args.js';
import { filtersQuery, parseFilterFlags } from '../engine-client.js';
import { renderList, naturalCompare } from '../format/list.js';
import { bytesSize } from '../format/units.js';
import { filterFlag, formatFlag, listFormatFlag, quietFlag } from './flags.js';
import { inspectEach, removeEach } from './inspect-helper.js';
import { printTasks, taskListFlags } from './tasks.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- Engine API documents are read field by field */
type Doc = Record<string, any>;

const capitalize = (s: string | undefined): string => (s ? s[0]!.toUpperCase() + s.slice(1) : '');

/** `self` is this daemon's node, as the docker CLI resolves it. */
export async function resolveNode(ctx: Context, ref: string): Promise<string> {
  if (ref !== 'self') return ref;
  return ((await ctx.client.get<Doc>('/info')).Swarm.NodeID as string) || ref;
}

const nodeRow = (n: Doc, self: string, tlsInfo: Doc | undefined): Record<string, unknown> => ({
  ID: n.ID,
  Self: n.ID === self,
  Hostname: n.Description?.Hostname ?? '',
  Status: capitalize(n.Status?.State),
  Availability: capitalize(n.Spec?.Availability),
  ManagerStatus: n.ManagerStatus ? (n.ManagerStatus.Leader ? 'Leader' : capitalize(n.ManagerStatus.Reachability)) : '',
  EngineVersion: n.Description?.Engine?.EngineVersion ?? '',
  // As the docker CLI: a node needs rotation while its certificate is not from the issuer the swarm wants.
  TLSStatus: tlsInfo && n.Description?.TLSInfo && (n.Description.TLSInfo.CertIssuerSubject !== tlsInfo.CertIssuerSubject || n.Description.TLSInfo.CertIssuerPublicKey !== tlsInfo.CertIssuerPublicKey) ? 'Needs Rotation' : 'Ready',
});

const NODE_FORMAT = {
  table: 'table {{.ID}} {{if .Self}}*{{else}} {{ end }}\t{{.Hostname}}\t{{.Status}}\t{{.Availability}}\t{{.ManagerStatus}}\t{{.EngineVersion}}',
  headers: { ID: 'ID', Self: '', Hostname: 'HOSTNAME', Status: 'STATUS', Availability: 'AVAILABILITY', ManagerStatus: 'MANAGER STATUS', EngineVersion: 'ENGINE VERSION', TLSStatus: 'TLS STATUS' },
};

const ls: Command = {
  name: 'ls',
  aliases: ['list'],
  summary: 'List nodes in the swarm',
  usage: '[OPTIONS]',
  flags: [filterFlag, listFormatFlag, quietFlag],
  args: { max: 0 },
  async run(ctx, flags) {
    const nodes = await ctx.client.get<Doc[]>('/nodes', { filters: filtersQuery(parseFilterFlags(flags.list('filter'))) });
    const info = await ctx.client.get<Doc>('/info');
    nodes.sort((a, b) => naturalCompare(a.Description?.Hostname ?? '', b.Description?.Hostname ?? ''));
    const rows = nodes.map((n) => nodeRow(n, info.Swarm.NodeID, info.Swarm.Cluster?.TLSInfo));
    ctx.out.write(renderList(rows, NODE_FORMAT, { format: flags.string('format'), quiet: flags.bool('quiet') }));
  },
};

/** Go's time.Time String() of an RFC 3339 timestamp, lowercased as `node inspect --pretty` shows it. */
function goTime(iso: string): string {
  const m = /^(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)(?:\.(\d+))?Z$/.exec(iso ?? '');
  if (!m) return iso;
  const frac = (m[3] ?? '').replace(/0+$/, '');
  return `${m[1]} ${m[2]}${frac ? `.${frac}` : ''} +0000 utc`;
}

/** `node inspect --pretty`: the docker CLI's human-readable layout. */
export function prettyNode(n: Doc): string {
  const d = n.Description ?? {};
  const l = [`ID:\t\t\t${n.ID}`];
  if (n.Spec?.Name) l.push(`Name:\t\t\t${n.Spec.Name}`);
  const labels = n.Spec?.Labels ?? {};
  if (Object.keys(labels).length) l.push('Labels:', ...Object.keys(labels).sort().map((k) => ` - ${k}${labels[k] ? `=${labels[k]}` : ''}`));
  l.push(`Hostname:              \t${d.Hostname ?? ''}`, `Joined at:             \t${goTime(n.CreatedAt)}`, 'Status:', ` State:\t\t\t${capitalize(n.Status?.State)}`);
  if (n.Status?.Message) l.push(` Message:              \t${n.Status.Message}`);
  l.push(` Availability:         \t${capitalize(n.Spec?.Availability)}`);
  if (n.Status?.Addr) l.push(` Address:\t\t${n.Status.Addr}`);
  if (n.ManagerStatus) l.push('Manager Status:', ` Address:\t\t${n.ManagerStatus.Addr}`, ` Raft Status:\t\t${capitalize(n.ManagerStatus.Reachability)}`, ` Leader:\t\t${n.ManagerStatus.Leader ? 'Yes' : 'No'}`);
  l.push('Platform:', ` Operating System:\t${d.Platform?.OS ?? ''}`, ` Architecture:\t\t${d.Platform?.Architecture ?? ''}`);
  l.push('Resources:', ` CPUs:\t\t\t${Math.trunc((d.Resources?.NanoCPUs ?? 0) / 1e9)}`, ` Memory:\t\t${bytesSize(d.Resources?.MemoryBytes ?? 0)}`);
  const byType = new Map<string, string[]>();
  for (const p of d.Engine?.Plugins ?? []) byType.set(p.Type, [...(byType.get(p.Type) ?? []), p.Name]);
  if (byType.size) l.push('Plugins:', ...[...byType.keys()].sort().map((t) => ` ${t}:\t\t${byType.get(t)!.sort().join(', ')}`));
  l.push(`Engine Version:\t\t${d.Engine?.EngineVersion ?? ''}`);
  const engineLabels = d.Engine?.Labels ?? {};
  if (Object.keys(engineLabels).length) l.push('Engine Labels:', ...Object.keys(engineLabels).sort().map((k) => ` - ${k}${engineLabels[k] ? `=${engineLabels[k]}` : ''}`));
  const tls = d.TLSInfo;
  if (tls && (tls.TrustRoot || tls.CertIssuerSubject || tls.CertIssuerPublicKey)) l.push('TLS Info:', ' TrustRoot:', tls.TrustRoot, ` Issuer Subject:\t${tls.CertIssuerSubject}`, ` Issuer Public Key:\t${tls.CertIssuerPublicKey}`);
  return l.join('\n') + '\n';
}

const inspect: Command = {
  name: 'inspect',
  summary: 'Display detailed information on one or more nodes',
  usage: '[OPTIONS] self|NODE [NODE...]',
  flags: [formatFlag, { name: 'pretty', type: 'bool', description: 'Print the information in a human friendly format' }],
  args: { min: 1 },
  async run(ctx, flags) {
    const ids = await Promise.all(flags.positionals.map((r) => resolveNode(ctx, r)));
    if (flags.bool('pretty')) {
      const pretty: string[] = [];
      for (const id of ids) pretty.push(prettyNode(await ctx.client.get<Doc>(`/nodes/${encodeURIComponent(id)}`)));
      ctx.out.write(pretty.join('\n\n'));
      return 0;
    }
    return inspectEach(ctx, ids, 'node', (id) => ctx.client.get(`/nodes/${encodeURIComponent(id)}`), flags.string('format'), true);
  },
};

const ps: Command = {
  name: 'ps',
  summary: 'List tasks running on one or more nodes, defaults to current node',
  usage: '[OPTIONS] [NODE...]',
  flags: taskListFlags,
  async run(ctx, flags) {
    const refs = flags.positionals.length ? flags.positionals : ['self'];
    const tasks: Doc[] = [];
    for (const ref of refs) {
      const node = await ctx.client.get<Doc>(`/nodes/${encodeURIComponent(await resolveNode(ctx, ref))}`);
      const filters = { ...parseFilterFlags(flags.list('filter')), node: [node.ID as string] };
      tasks.push(...(await ctx.client.get<Doc[]>('/tasks', { filters: filtersQuery(filters) })));
    }
    await printTasks(ctx, tasks, flags);
  },
};

/** `node update --label-add k=v --label-rm k --availability --role`: the node's whole spec with the changes, at its version. */
async function updateNode(ctx: Context, ref: string, change: (spec: Doc) => void): Promise<void> {
  const node = await ctx.client.get<Doc>(`/nodes/${encodeURIComponent(await resolveNode(ctx, ref))}`);
  const spec = structuredClone(node.Spec ?? {});
  change(spec);
  await ctx.client.post(`/nodes/${node.ID}/update`, spec, { version: node.Version.Index });
}

const update: Command = {
  name: 'update',
  summary: 'Update a node',
  usage: '[OPTIONS] NODE',
  flags: [
    { name: 'availability', type: 'string', description: 'Availability of the node ("active", "pause", "drain")' },
    { name: 'label-add', type: 'list', description: 'Add or update a node label (key=value)' },
    { name: 'label-rm', type: 'list', description: 'Remove a node label if exists' },
    { name: 'role', type: 'string', description: 'Role of the node ("worker", "manager")' },
  ],
  args: { min: 1, max: 1 },
  async run(ctx, flags: Flags) {
    const [ref] = flags.positionals as [string];
    await updateNode(ctx, ref, (spec) => {
      if (flags.has('availability')) spec.Availability = flags.string('availability');
      if (flags.has('role')) spec.Role = flags.string('role');
      const labels: Record<string, string> = (spec.Labels ??= {});
      for (const kv of flags.list('label-add')) {
        const eq = kv.indexOf('=');
        labels[eq < 0 ? kv : kv.slice(0, eq)] = eq < 0 ? '' : kv.slice(eq + 1);
      }
      for (const k of flags.list('label-rm')) delete labels[k];
    });
    ctx.out.write(`${ref}\n`);
  },
};

const roleChange = (name: string, role: 'manager' | 'worker', summary: string): Command => ({
  name,
  summary,
  usage: 'NODE [NODE...]',
  flags: [],
  args: { min: 1 },
  async run(ctx, flags) {
    for (const ref of flags.positionals) {
      const node = await ctx.client.get<Doc>(`/nodes/${encodeURIComponent(await resolveNode(ctx, ref))}`);
      if (node.Spec.Role === role) {
        ctx.out.write(`Node ${node.ID} is already a ${role}.\n`);
        continue;
      }
      await updateNode(ctx, ref, (spec) => (spec.Role = role));
      ctx.out.write(role === 'manager' ? `Node ${ref} promoted to a manager in the swarm.\n` : `Manager ${ref} demoted in the swarm.\n`);
    }
  },
});

const rm: Command = {
  name: 'rm',
  aliases: ['remove'],
  summary: 'Remove one or more nodes from the swarm',
  usage: '[OPTIONS] NODE [NODE...]',
  flags: [{ name: 'force', short: 'f', type: 'bool', description: 'Force remove a node from the swarm' }],
  args: { min: 1 },
  run: (ctx, flags) => removeEach(ctx, flags.positionals, (ref) => ctx.client.delete(`/nodes/${encodeURIComponent(ref)}`, { force: flags.bool('force') || undefined })),
};

export const nodeGroup: CommandGroup = {
  name: 'node',
  summary: 'Manage Swarm nodes',
  commands: [roleChange('demote', 'worker', 'Demote one or more nodes from manager in the swarm'), inspect, ls, roleChange('promote', 'manager', 'Promote one or more nodes to manager in the swarm'), ps, rm, update],
};
