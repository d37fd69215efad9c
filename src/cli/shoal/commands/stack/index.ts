import type { CommandGroup } from '../../command.js';
import { filtersQuery, parseFilterFlags } from '../../engine-client.js';
import { renderList, naturalCompare } from '../../format/list.js';
import { NAMESPACE_LABEL } from '../../../../stack/objects.js';
import { listFormatFlag } from '../flags.js';
import { printServices, serviceListFlags } from '../service/ls.js';
import { printTasks, taskListFlags } from '../tasks.js';
import { stackFilters, type Doc } from './api.js';
import { deployStack } from './deploy.js';
import { removeStack } from './remove.js';

export const stackGroup: CommandGroup = {
  name: 'stack',
  summary: 'Manage Swarm stacks (compose files version 3.x)',
  commands: [
    {
      name: 'deploy',
      aliases: ['up'],
      summary: 'Deploy a new stack or update an existing stack',
      usage: '[OPTIONS] STACK',
      flags: [
        { name: 'compose-file', short: 'c', type: 'list', valueName: 'strings', description: 'Path to a Compose file (repeat to merge several)' },
        { name: 'prune', type: 'bool', description: 'Prune services that are no longer referenced' },
        { name: 'detach', short: 'd', type: 'bool', description: 'Exit immediately instead of waiting for the stack services to converge (the default; kept for docker compatibility)' },
        { name: 'resolve-image', type: 'string', description: 'Query the registry to resolve image digest (accepted; Shoal has no registry)' },
        { name: 'with-registry-auth', type: 'bool', description: 'Send registry authentication details to Swarm agents (accepted; Shoal has no registry)' },
      ],
      args: { min: 1, max: 1 },
      run: (ctx, flags) => deployStack(ctx, flags.list('compose-file'), flags.positionals[0]!, flags.bool('prune')),
    },
    {
      name: 'ls',
      aliases: ['list'],
      summary: 'List stacks',
      usage: '[OPTIONS]',
      flags: [listFormatFlag],
      args: { max: 0 },
      async run(ctx, flags) {
        const services = await ctx.client.get<Doc[]>('/services', { filters: filtersQuery({ label: [NAMESPACE_LABEL] }) });
        const counts = new Map<string, number>();
        for (const s of services) counts.set(s.Spec.Labels[NAMESPACE_LABEL], (counts.get(s.Spec.Labels[NAMESPACE_LABEL]) ?? 0) + 1);
        const rows = [...counts].sort(([a], [b]) => naturalCompare(a, b)).map(([Name, n]) => ({ Name, Services: String(n) }));
        ctx.out.write(renderList(rows, { table: 'table {{.Name}}\t{{.Services}}', headers: { Name: 'NAME', Services: 'SERVICES' } }, { format: flags.string('format') }));
      },
    },
    {
      name: 'ps',
      summary: 'List the tasks in the stack',
      usage: '[OPTIONS] STACK',
      flags: taskListFlags,
      args: { min: 1, max: 1 },
      async run(ctx, flags) {
        const stack = flags.positionals[0]!;
        const tasks = await ctx.client.get<Doc[]>('/tasks', { filters: stackFilters(stack, parseFilterFlags(flags.list('filter'))) });
        if (tasks.length === 0) ctx.err.write(`Nothing found in stack: ${stack}\n`);
        else await printTasks(ctx, tasks, flags, { shortQuiet: true });
      },
    },
    {
      name: 'rm',
      aliases: ['remove', 'down'],
      summary: 'Remove one or more stacks',
      usage: 'STACK [STACK...]',
      flags: [],
      args: { min: 1 },
      async run(ctx, flags) {
        let ok = true;
        for (const stack of flags.positionals) ok = (await removeStack(ctx, stack)) && ok;
        return ok ? 0 : 1;
      },
    },
    {
      name: 'services',
      summary: 'List the services in the stack',
      usage: '[OPTIONS] STACK',
      flags: serviceListFlags,
      args: { min: 1, max: 1 },
      async run(ctx, flags) {
        const stack = flags.positionals[0]!;
        const services = await ctx.client.get<Doc[]>('/services', { filters: stackFilters(stack, parseFilterFlags(flags.list('filter'))), status: true });
        if (services.length === 0) ctx.err.write(`Nothing found in stack: ${stack}\n`);
        else printServices(ctx, services, flags);
      },
    },
  ],
};
