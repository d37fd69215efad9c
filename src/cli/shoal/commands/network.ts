import type { Command, CommandGroup } from '../command.js';
import { filtersQuery, parseFilterFlags } from '../engine-client.js';
import { renderList, naturalCompare } from '../format/list.js';
import { filterFlag, formatFlag, listFormatFlag, quietFlag } from './flags.js';
import { inspectEach, removeEach } from './inspect-helper.js';
import { ShoalError } from '../../../util/errors.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- Engine API documents are read field by field */
type Doc = Record<string, any>;

const keyValues = (list: string[]): Record<string, string> =>
  Object.fromEntries(list.map((kv) => (kv.includes('=') ? [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)] : [kv, ''])));

const create: Command = {
  name: 'create',
  summary: 'Create a network',
  usage: '[OPTIONS] NETWORK',
  flags: [
    { name: 'driver', short: 'd', type: 'string', description: 'Driver to manage the Network (default "bridge"; Shoal: "overlay")' },
    { name: 'attachable', type: 'bool', description: 'Enable manual container attachment' },
    { name: 'internal', type: 'bool', description: 'Restrict external access to the network' },
    { name: 'ingress', type: 'bool', description: 'Create swarm routing-mesh network' },
    { name: 'ipv6', type: 'bool', description: 'Enable IPv6 networking' },
    { name: 'scope', type: 'string', description: "Control the network's scope" },
    { name: 'subnet', type: 'list', description: 'Subnet in CIDR format that represents a network segment' },
    { name: 'gateway', type: 'list', description: 'IPv4 or IPv6 Gateway for the master subnet' },
    { name: 'ip-range', type: 'list', description: 'Allocate container ip from a sub-range' },
    { name: 'opt', short: 'o', type: 'list', valueName: 'map', description: 'Set driver specific options' },
    { name: 'label', type: 'list', description: 'Set metadata on a network' },
  ],
  args: { min: 1, max: 1 },
  async run(ctx, flags) {
    const subnets = flags.list('subnet');
    const gateways = flags.list('gateway');
    const ranges = flags.list('ip-range');
    if (gateways.length > subnets.length || ranges.length > subnets.length) throw new ShoalError('invalid_argument', 'every --gateway and --ip-range needs its --subnet');
    const config = subnets.map((s, i) => ({ Subnet: s, ...(gateways[i] ? { Gateway: gateways[i] } : {}), ...(ranges[i] ? { IPRange: ranges[i] } : {}) }));
    const res = await ctx.client.post<Doc>('/networks/create', {
      Name: flags.positionals[0],
      CheckDuplicate: true,
      Driver: flags.string('driver') ?? 'bridge',
      Scope: flags.string('scope') ?? '',
      EnableIPv6: flags.bool('ipv6'),
      IPAM: { Driver: 'default', Options: {}, Config: config },
      Internal: flags.bool('internal'),
      Attachable: flags.bool('attachable'),
      Ingress: flags.bool('ingress'),
      Options: keyValues(flags.list('opt')),
      Labels: keyValues(flags.list('label')),
    });
    ctx.out.write(`${res.Id}\n`);
  },
};

const NETWORK_FORMAT = {
  table: 'table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}',
  headers: { ID: 'NETWORK ID', Name: 'NAME', Driver: 'DRIVER', Scope: 'SCOPE', IPv6: 'IPV6', Internal: 'INTERNAL', Labels: 'LABELS', CreatedAt: 'CREATED AT' },
};

const ls: Command = {
  name: 'ls',
  aliases: ['list'],
  summary: 'List networks',
  usage: '[OPTIONS]',
  flags: [filterFlag, listFormatFlag, { name: 'no-trunc', type: 'bool', description: 'Do not truncate the output' }, { ...quietFlag, description: 'Only display network IDs' }],
  args: { max: 0 },
  async run(ctx, flags) {
    const nets = await ctx.client.get<Doc[]>('/networks', { filters: filtersQuery(parseFilterFlags(flags.list('filter'))) });
    nets.sort((a, b) => naturalCompare(a.Name, b.Name));
    const trunc = !flags.bool('no-trunc');
    const rows = nets.map((n) => ({
      ID: trunc ? String(n.Id).slice(0, 12) : n.Id,
      Name: n.Name,
      Driver: n.Driver,
      Scope: n.Scope,
      IPv6: String(!!n.EnableIPv6),
      Internal: String(!!n.Internal),
      Labels: Object.entries(n.Labels ?? {}).map(([k, v]) => `${k}=${v}`).join(','),
      CreatedAt: n.Created ?? '',
    }));
    ctx.out.write(renderList(rows, NETWORK_FORMAT, { format: flags.string('format'), quiet: flags.bool('quiet') }));
  },
};

const inspect: Command = {
  name: 'inspect',
  summary: 'Display detailed information on one or more networks',
  usage: '[OPTIONS] NETWORK [NETWORK...]',
  flags: [formatFlag, { name: 'verbose', short: 'v', type: 'bool', description: 'Verbose output for diagnostics' }],
  args: { min: 1 },
  run: (ctx, flags) => inspectEach(ctx, flags.positionals, 'network', (ref) => ctx.client.get(`/networks/${encodeURIComponent(ref)}`, { verbose: flags.bool('verbose') || undefined }), flags.string('format')),
};

const rm: Command = {
  name: 'rm',
  aliases: ['remove'],
  summary: 'Remove one or more networks',
  usage: 'NETWORK [NETWORK...]',
  flags: [{ name: 'force', short: 'f', type: 'bool', description: 'Do not error if the network does not exist' }],
  args: { min: 1 },
  run: (ctx, flags) => removeEach(ctx, flags.positionals, (ref) => ctx.client.delete(`/networks/${encodeURIComponent(ref)}`)),
};

export const networkGroup: CommandGroup = { name: 'network', summary: 'Manage networks', commands: [create, inspect, ls, rm] };
