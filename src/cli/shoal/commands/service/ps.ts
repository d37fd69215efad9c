import type { Command } from '../../command.js';
import { filtersQuery, parseFilterFlags } from '../../engine-client.js';
import { printTasks, taskListFlags } from '../tasks.js';
import { getService, type Doc } from './resolve.js';

export const psCommand: Command = {
  name: 'ps',
  summary: 'List the tasks of one or more services',
  usage: '[OPTIONS] SERVICE [SERVICE...]',
  flags: taskListFlags,
  args: { min: 1 },
  async run(ctx, flags) {
    const ids: string[] = [];
    for (const ref of flags.positionals) ids.push((await getService(ctx, ref)).ID);
    const filters = { ...parseFilterFlags(flags.list('filter')), service: ids };
    await printTasks(ctx, await ctx.client.get<Doc[]>('/tasks', { filters: filtersQuery(filters) }), flags);
  },
};
