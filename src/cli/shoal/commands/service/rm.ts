import type { Command } from '../../command.js';
import { removeEach } from '../inspect-helper.js';

export const rmCommand: Command = {
  name: 'rm',
  aliases: ['remove'],
  summary: 'Remove one or more services',
  usage: 'SERVICE [SERVICE...]',
  flags: [],
  args: { min: 1 },
  run: (ctx, flags) => removeEach(ctx, flags.positionals, (ref) => ctx.client.delete(`/services/${encodeURIComponent(ref)}`)),
};
