import { readFileSync } from 'node:fs';
import type { Command, CommandGroup } from '../command.js';
import { filtersQuery, parseFilterFlags } from '../engine-client.js';
import { renderList, naturalCompare } from '../format/list.js';
import { ago } from '../format/units.js';
import { filterFlag, formatFlag, labelFlag, listFormatFlag, quietFlag } from './flags.js';
import { inspectEach, removeEach } from './inspect-helper.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- Engine API documents are read field by field */
type Doc = Record<string, any>;

/** secret and config are the same verbs over `/secrets` and `/configs`. */
interface Kind {
  noun: 'secret' | 'config';
  path: '/secrets' | '/configs';
  withDriver: boolean;
}

function readData(source: string): Buffer {
  return source === '-' ? readFileSync(0) : readFileSync(source);
}

function group(kind: Kind): CommandGroup {
  const { noun, path } = kind;
  const upper = noun.toUpperCase();
  const create: Command = {
    name: 'create',
    summary: `Create a ${noun} from a file or STDIN as content`,
    usage: `[OPTIONS] ${upper} file|-`,
    flags: [labelFlag, ...(kind.withDriver ? [{ name: 'driver', short: 'd', type: 'string', description: 'Secret driver' } as const] : []), { name: 'template-driver', type: 'string', description: 'Template driver' }],
    args: { min: 2, max: 2 },
    async run(ctx, flags) {
      const [name, source] = flags.positionals as [string, string];
      const labels = Object.fromEntries(flags.list('label').map((kv) => (kv.includes('=') ? [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)] : [kv, ''])));
      const spec: Doc = { Name: name, Labels: labels, Data: readData(source).toString('base64') };
      if (flags.string('driver')) spec.Driver = { Name: flags.string('driver') };
      if (flags.string('template-driver')) spec.Templating = { Name: flags.string('template-driver') };
      const res = await ctx.client.post<Doc>(`${path}/create`, spec);
      ctx.out.write(`${res.ID}\n`);
    },
  };
  const format = {
    table: kind.withDriver ? 'table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.CreatedAt}}\t{{.UpdatedAt}}' : 'table {{.ID}}\t{{.Name}}\t{{.CreatedAt}}\t{{.UpdatedAt}}',
    headers: { ID: 'ID', Name: 'NAME', Driver: 'DRIVER', CreatedAt: 'CREATED', UpdatedAt: 'UPDATED', Labels: 'LABELS' },
  };
  const ls: Command = {
    name: 'ls',
    aliases: ['list'],
    summary: `List ${noun}s`,
    usage: '[OPTIONS]',
    flags: [filterFlag, listFormatFlag, { ...quietFlag, description: 'Only display IDs' }],
    args: { max: 0 },
    async run(ctx, flags) {
      const items = await ctx.client.get<Doc[]>(path, { filters: filtersQuery(parseFilterFlags(flags.list('filter'))) });
      items.sort((a, b) => naturalCompare(a.Spec.Name, b.Spec.Name));
      const now = Date.now();
      const rows = items.map((s) => ({
        ID: s.ID,
        Name: s.Spec.Name,
        ...(kind.withDriver ? { Driver: s.Spec.Driver?.Name ?? '' } : {}),
        CreatedAt: ago(s.CreatedAt, now),
        UpdatedAt: ago(s.UpdatedAt, now),
        Labels: Object.entries(s.Spec.Labels ?? {}).map(([k, v]) => `${k}=${v}`).join(','),
      }));
      ctx.out.write(renderList(rows, format, { format: flags.string('format'), quiet: flags.bool('quiet') }));
    },
  };
  const inspect: Command = {
    name: 'inspect',
    summary: `Display detailed information on one or more ${noun}s`,
    usage: `[OPTIONS] ${upper} [${upper}...]`,
    flags: [formatFlag],
    args: { min: 1 },
    run: (ctx, flags) => inspectEach(ctx, flags.positionals, noun, (ref) => ctx.client.get(`${path}/${encodeURIComponent(ref)}`), flags.string('format')),
  };
  const rm: Command = {
    name: 'rm',
    aliases: ['remove'],
    summary: `Remove one or more ${noun}s`,
    usage: `${upper} [${upper}...]`,
    flags: [],
    args: { min: 1 },
    run: (ctx, flags) => removeEach(ctx, flags.positionals, (ref) => ctx.client.delete(`${path}/${encodeURIComponent(ref)}`)),
  };
  return { name: noun, summary: `Manage Swarm ${noun}s`, commands: [create, inspect, ls, rm] };
}

export const secretGroup = group({ noun: 'secret', path: '/secrets', withDriver: true });
export const configGroup = group({ noun: 'config', path: '/configs', withDriver: false });
