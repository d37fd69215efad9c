import type { Command } from '../../command.js';
import { detachFlag, quietFlag } from '../flags.js';
import { waitForService } from './progress.js';
import { withDefaultTag, type Doc } from './resolve.js';
import { applySpecFlags, CREATE_SPEC_FLAGS } from './spec-flags.js';

const MODES: Record<string, Doc> = { replicated: { Replicated: {} }, global: { Global: {} }, 'replicated-job': { ReplicatedJob: {} }, 'global-job': { GlobalJob: {} } };

export const createCommand: Command = {
  name: 'create',
  summary: 'Create a new service',
  usage: '[OPTIONS] IMAGE [COMMAND] [ARG...]',
  flags: [
    { name: 'name', type: 'string', description: 'Service name' },
    { name: 'mode', type: 'string', description: 'Service mode ("replicated", "global", "replicated-job", "global-job") (default "replicated")' },
    { name: 'max-concurrent', type: 'string', valueName: 'uint', description: 'Number of job tasks to run concurrently (default equal to --replicas)' },
    detachFlag,
    { ...quietFlag, description: 'Suppress progress output' },
    ...CREATE_SPEC_FLAGS,
  ],
  args: { min: 1 },
  stopAfterPositionals: 1,
  async run(ctx, flags) {
    const [image, ...args] = flags.positionals as [string, ...string[]];
    const mode = flags.string('mode') ?? 'replicated';
    const spec: Doc = {
      Name: flags.string('name') ?? '',
      Labels: {},
      TaskTemplate: { ContainerSpec: { Image: withDefaultTag(image), ...(args.length ? { Args: args } : {}), Init: false, DNSConfig: {} }, Resources: { Limits: {}, Reservations: {} }, Placement: {}, ForceUpdate: 0 },
      Mode: structuredClone(MODES[mode] ?? MODES.replicated!),
      EndpointSpec: { Mode: 'vip' },
    };
    await applySpecFlags(ctx, spec, flags, 'create');
    if (mode === 'replicated-job') spec.Mode.ReplicatedJob = { MaxConcurrent: Number(flags.string('max-concurrent') ?? flags.string('replicas') ?? 1), TotalCompletions: Number(flags.string('replicas') ?? 1) };
    if (mode !== 'replicated') delete spec.Mode.Replicated;
    const res = await ctx.client.post<Doc>('/services/create', spec);
    for (const w of res.Warnings ?? []) ctx.err.write(`${w}\n`);
    ctx.out.write(`${res.ID}\n`);
    if (!flags.bool('detach') && !flags.bool('quiet')) await waitForService(ctx, res.ID, res.ID);
  },
};
