import type { Command, Context } from '../../command.js';
import type { Flags } from '../../args.js';
import { filtersQuery, parseFilterFlags } from '../../engine-client.js';
import { renderList, naturalCompare } from '../../format/list.js';
import { filterFlag, listFormatFlag, quietFlag } from '../flags.js';
import { familiarImage, type Doc } from './resolve.js';

export function serviceMode(spec: Doc): string {
  const m = spec.Mode ?? {};
  if (m.Global) return 'global';
  if (m.Replicated) return 'replicated';
  if (m.ReplicatedJob) return 'replicated job';
  if (m.GlobalJob) return 'global job';
  return '';
}

function replicas(s: Doc): string {
  const st = s.ServiceStatus ?? {};
  const [running, desired, completed] = [st.RunningTasks ?? 0, st.DesiredTasks ?? 0, st.CompletedTasks ?? 0];
  const mode = s.Spec.Mode ?? {};
  if (mode.ReplicatedJob) return `${running}/${desired} (${completed}/${mode.ReplicatedJob.TotalCompletions ?? 0} completed)`;
  if (mode.GlobalJob) return `${running}/${desired} (${completed}/${desired + completed} completed)`;
  const max = mode.Replicated ? (s.Spec.TaskTemplate?.Placement?.MaxReplicas ?? 0) : 0;
  return max > 0 ? `${running}/${desired} (max ${max} per node)` : `${running}/${desired}`;
}

/** Published ingress ports, consecutive ones folded into ranges (`*:8080-8081->80-81/tcp`), as docker does. */
export function servicePorts(ports: Doc[] | undefined): string {
  const sorted = [...(ports ?? [])].sort((a, b) => (a.Protocol === b.Protocol ? a.PublishedPort - b.PublishedPort : a.Protocol < b.Protocol ? -1 : 1));
  const out: string[] = [];
  let r: { pStart: number; pEnd: number; tStart: number; tEnd: number; protocol: string } | undefined;
  const show = (x: NonNullable<typeof r>) => `*:${x.pEnd > x.pStart ? `${x.pStart}-${x.pEnd}` : x.pStart}->${x.tEnd > x.tStart ? `${x.tStart}-${x.tEnd}` : x.tStart}/${x.protocol}`;
  const gap = (a: number, b: number) => ((a - b) >>> 0) > 1; // unsigned, as Go computes it
  for (const p of sorted) {
    if (p.PublishMode !== 'ingress') continue;
    if (!r || p.Protocol !== r.protocol || gap(p.PublishedPort, r.pEnd) || gap(p.TargetPort, r.tEnd) || (r.tEnd !== r.tStart && p.TargetPort <= r.tEnd)) {
      if (r) out.push(show(r));
      r = { pStart: p.PublishedPort, pEnd: p.PublishedPort, tStart: p.TargetPort, tEnd: p.TargetPort, protocol: p.Protocol };
      continue;
    }
    r.pEnd = p.PublishedPort;
    r.tEnd = p.TargetPort;
  }
  if (r) out.push(show(r));
  return out.join(', ');
}

const SERVICE_FORMAT = {
  table: 'table {{.ID}}\t{{.Name}}\t{{.Mode}}\t{{.Replicas}}\t{{.Image}}\t{{.Ports}}',
  headers: { ID: 'ID', Name: 'NAME', Mode: 'MODE', Replicas: 'REPLICAS', Image: 'IMAGE', Ports: 'PORTS' },
};

/** Prints services as `docker service ls` does (also `stack services`); `services` as listed with status=true. */
export function printServices(ctx: Context, services: Doc[], flags: Flags): void {
  services.sort((a, b) => naturalCompare(a.Spec.Name, b.Spec.Name));
  const rows = services.map((s) => ({
    ID: String(s.ID).slice(0, 12),
    Name: s.Spec.Name,
    Mode: serviceMode(s.Spec),
    Replicas: replicas(s),
    Image: familiarImage(s.Spec.TaskTemplate?.ContainerSpec?.Image ?? ''),
    Ports: servicePorts(s.Endpoint?.Ports),
  }));
  ctx.out.write(renderList(rows, SERVICE_FORMAT, { format: flags.string('format'), quiet: flags.bool('quiet') }));
}

export const serviceListFlags = [filterFlag, listFormatFlag, quietFlag];

export const lsCommand: Command = {
  name: 'ls',
  aliases: ['list'],
  summary: 'List services',
  usage: '[OPTIONS]',
  flags: serviceListFlags,
  args: { max: 0 },
  async run(ctx, flags) {
    printServices(ctx, await ctx.client.get<Doc[]>('/services', { filters: filtersQuery(parseFilterFlags(flags.list('filter'))), status: true }), flags);
  },
};
