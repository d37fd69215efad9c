import type { Command } from '../../command.js';
import { detachFlag } from '../flags.js';
import { waitForService } from './progress.js';
import { getService } from './resolve.js';
import { postServiceUpdate } from './update.js';
import { ShoalError } from '../../../../util/errors.js';

export const scaleCommand: Command = {
  name: 'scale',
  summary: 'Scale one or multiple replicated services',
  usage: 'SERVICE=REPLICAS [SERVICE=REPLICAS...]',
  flags: [detachFlag],
  args: { min: 1 },
  async run(ctx, flags) {
    const scaled: { id: string; ref: string }[] = [];
    for (const arg of flags.positionals) {
      const m = /^(.+)=(\d+)$/.exec(arg);
      if (!m) throw new ShoalError('invalid_argument', `Invalid scale specifier '${arg}'.\nSee 'shoal service scale --help'.`);
      const [, ref, n] = m as unknown as [string, string, string];
      const service = await getService(ctx, ref);
      const mode = service.Spec.Mode ?? {};
      if (mode.ReplicatedJob) mode.ReplicatedJob.TotalCompletions = Number(n);
      else if (mode.Replicated) mode.Replicated.Replicas = Number(n);
      else throw new ShoalError('invalid_argument', `scale can only be used with replicated or replicated-job mode`);
      await postServiceUpdate(ctx, service, service.Spec);
      ctx.out.write(`${ref} scaled to ${n}\n`);
      scaled.push({ id: service.ID, ref });
    }
    if (flags.bool('detach')) return;
    for (const s of scaled) await waitForService(ctx, s.id, s.ref);
  },
};
