import type { Command } from '../../command.js';
import { detachFlag, quietFlag } from '../flags.js';
import { waitForService } from './progress.js';
import { getService } from './resolve.js';
import { postServiceUpdate } from './update.js';

export const rollbackCommand: Command = {
  name: 'rollback',
  summary: "Revert changes to a service's configuration",
  usage: '[OPTIONS] SERVICE',
  flags: [detachFlag, { ...quietFlag, description: 'Suppress progress output' }],
  args: { min: 1, max: 1 },
  async run(ctx, flags) {
    const ref = flags.positionals[0]!;
    const service = await getService(ctx, ref);
    await postServiceUpdate(ctx, service, service.Spec, { rollback: 'previous' });
    ctx.out.write(`${ref}\n`);
    if (!flags.bool('detach') && !flags.bool('quiet')) await waitForService(ctx, service.ID, ref);
  },
};
