import type { Command, Context } from '../../command.js';
import { detachFlag, quietFlag } from '../flags.js';
import { waitForService } from './progress.js';
import { getService, withDefaultTag, type Doc } from './resolve.js';
import { applySpecFlags, UPDATE_SPEC_FLAGS } from './spec-flags.js';

/** Sends the whole changed spec at the version read, as the docker CLI does; prints the daemon's warnings. */
export async function postServiceUpdate(ctx: Context, service: Doc, spec: Doc, query: Record<string, string | number> = {}): Promise<void> {
  const res = await ctx.client.post<Doc>(`/services/${service.ID}/update`, spec, { ...query, version: service.Version.Index });
  for (const w of res?.Warnings ?? []) ctx.err.write(`${w}\n`);
}

export const updateCommand: Command = {
  name: 'update',
  summary: 'Update a service',
  usage: '[OPTIONS] SERVICE',
  flags: [
    { name: 'image', type: 'string', description: 'Service image tag' },
    { name: 'args', type: 'string', valueName: 'command', description: 'Service command args' },
    { name: 'force', type: 'bool', description: 'Force update even if no changes require it' },
    { name: 'rollback', type: 'bool', description: 'Rollback to previous specification' },
    detachFlag,
    { ...quietFlag, description: 'Suppress progress output' },
    ...UPDATE_SPEC_FLAGS,
  ],
  args: { min: 1, max: 1 },
  async run(ctx, flags) {
    const ref = flags.positionals[0]!;
    const service = await getService(ctx, ref);
    if (flags.bool('rollback')) {
      await postServiceUpdate(ctx, service, service.Spec, { rollback: 'previous' });
    } else {
      const spec = structuredClone(service.Spec);
      const cs = ((spec.TaskTemplate ??= {}).ContainerSpec ??= {});
      if (flags.has('image')) cs.Image = withDefaultTag(flags.string('image')!);
      if (flags.has('args')) cs.Args = flags.string('args')!.split(/\s+/).filter(Boolean);
      await applySpecFlags(ctx, spec, flags, 'update');
      if (flags.bool('force')) spec.TaskTemplate.ForceUpdate = (spec.TaskTemplate.ForceUpdate ?? 0) + 1;
      await postServiceUpdate(ctx, service, spec, { registryAuthFrom: 'spec' });
    }
    ctx.out.write(`${ref}\n`);
    if (!flags.bool('detach') && !flags.bool('quiet')) await waitForService(ctx, service.ID, ref);
  },
};
