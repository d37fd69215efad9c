import type { Context } from '../command.js';
import type { Flags, FlagSpec } from '../args.js';
import { renderList, naturalCompare } from '../format/list.js';
import { humanDuration } from '../format/units.js';
import { filterFlag, listFormatFlag, quietFlag } from './flags.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- Engine API documents are read field by field */
type Doc = Record<string, any>;

/** The flags of `service ps` and `node ps`. */
export const taskListFlags: FlagSpec[] = [
  filterFlag,
  listFormatFlag,
  { name: 'no-resolve', type: 'bool', description: 'Do not map IDs to Names' },
  { name: 'no-trunc', type: 'bool', description: 'Do not truncate output' },
  { ...quietFlag, description: 'Only display task IDs' },
];

const TASK_FORMAT = {
  table: 'table {{.ID}}\t{{.Name}}\t{{.Image}}\t{{.Node}}\t{{.DesiredState}}\t{{.CurrentState}}\t{{.Error}}\t{{.Ports}}',
  headers: { ID: 'ID', Name: 'NAME', Image: 'IMAGE', Node: 'NODE', DesiredState: 'DESIRED STATE', CurrentState: 'CURRENT STATE', Error: 'ERROR', Ports: 'PORTS' },
};

export const prettyState = (s: string | undefined): string => (s ? s[0]!.toUpperCase() + s.slice(1) : '');

/** formatter.Ellipsis: at most `max` characters, the last one an ellipsis when cut. */
export function ellipsis(s: string, max: number): string {
  const chars = [...s];
  return chars.length <= max ? s : chars.slice(0, max - 1).join('') + '…';
}

/** The image as the task list shows it: a tagged reference loses its digest. */
function displayImage(image: string, trunc: boolean): string {
  if (!trunc) return image;
  const [name, digest] = image.split('@');
  const tagged = /:[^/]+$/.test(name!);
  return digest !== undefined && tagged ? name!.replace(/^docker\.io\/(library\/)?/, '') : image;
}

/**
 * Prints tasks as `docker service ps` / `docker node ps` do: grouped by slot, newest first, older ones indented.
 * `-q` prints whole IDs there; `docker stack ps -q` keeps them short (`shortQuiet`).
 */
export async function printTasks(ctx: Context, tasks: Doc[], flags: Flags, opts: { shortQuiet?: boolean } = {}): Promise<void> {
  const trunc = !flags.bool('no-trunc') && (opts.shortQuiet === true || !flags.bool('quiet'));
  const resolve = !flags.bool('no-resolve');
  const [services, nodes] = resolve ? await Promise.all([ctx.client.get<Doc[]>('/services'), ctx.client.get<Doc[]>('/nodes')]) : [[], []];
  const serviceName = new Map(services.map((s) => [s.ID, s.Spec.Name as string]));
  const nodeName = new Map(nodes.map((n) => [n.ID, n.Description?.Hostname as string]));
  const named = tasks.map((t) => {
    const svc = serviceName.get(t.ServiceID) ?? t.ServiceID;
    return { t, name: t.Slot ? `${svc}.${t.Slot}` : `${svc}.${t.NodeID}` };
  });
  named.sort((a, b) => naturalCompare(a.name, b.name) || Date.parse(b.t.Meta?.CreatedAt ?? b.t.CreatedAt) - Date.parse(a.t.Meta?.CreatedAt ?? a.t.CreatedAt));
  const format = flags.string('format') ?? '';
  const isTable = format === '' || format.startsWith('table');
  const now = Date.now();
  const rows = named.map(({ t, name }, i) => {
    const err = trunc ? ellipsis(t.Status?.Err ?? '', 30) : (t.Status?.Err ?? '');
    return {
      ID: trunc ? String(t.ID).slice(0, 12) : t.ID,
      Name: isTable && i > 0 && named[i - 1]!.name === name ? ` \\_ ${name}` : name,
      Image: displayImage(t.Spec?.ContainerSpec?.Image ?? '', trunc),
      Node: resolve ? (nodeName.get(t.NodeID) ?? t.NodeID ?? '') : (t.NodeID ?? ''),
      DesiredState: prettyState(t.DesiredState),
      CurrentState: `${prettyState(t.Status?.State)} ${humanDuration(now - Date.parse(t.Status?.Timestamp)).toLowerCase()} ago`,
      Error: err ? `"${err}"` : '',
      Ports: ((t.Status?.PortStatus?.Ports ?? []) as Doc[]).map((p) => `*:${p.PublishedPort}->${p.TargetPort}/${p.Protocol}`).join(','),
    };
  });
  ctx.out.write(renderList(rows, TASK_FORMAT, { format, quiet: flags.bool('quiet') }));
}
