import type { IncomingMessage } from 'node:http';
import type { Command, Context } from '../../command.js';
import type { Flags } from '../../args.js';
import { getService, type Doc } from './resolve.js';

/** Splits the Engine API's multiplexed log stream (8-byte headers: stream, 0, 0, 0, uint32 length) into frames. */
async function* frames(res: IncomingMessage): AsyncGenerator<{ stream: number; payload: Buffer }> {
  let buf = Buffer.alloc(0);
  for await (const chunk of res as AsyncIterable<Buffer>) {
    buf = Buffer.concat([buf, chunk]);
    while (buf.length >= 8) {
      const len = buf.readUInt32BE(4);
      if (buf.length < 8 + len) break;
      yield { stream: buf[0]!, payload: buf.subarray(8, 8 + len) };
      buf = buf.subarray(8 + len);
    }
  }
}

/** `name.slot.taskid@node` for each task, padded to the widest slot number, as docker prints it. */
class TaskPrefixes {
  private readonly cache = new Map<string, string>();
  constructor(
    private readonly ctx: Context,
    private readonly flags: Flags,
    private readonly slotWidth: number,
  ) {}

  async prefix(details: Record<string, string>): Promise<string> {
    const key = `${details['com.docker.swarm.task.id']}`;
    const hit = this.cache.get(key);
    if (hit) return hit;
    const resolve = !this.flags.bool('no-resolve');
    const [task, node, service] = await Promise.all([
      this.ctx.client.get<Doc>(`/tasks/${details['com.docker.swarm.task.id']}`),
      resolve ? this.ctx.client.get<Doc>(`/nodes/${details['com.docker.swarm.node.id']}`).catch(() => undefined) : undefined,
      resolve ? this.ctx.client.get<Doc>(`/services/${details['com.docker.swarm.service.id']}`).catch(() => undefined) : undefined,
    ]);
    let name = `${service?.Spec?.Name ?? details['com.docker.swarm.service.id']}.${task.Slot}`;
    if (!this.flags.bool('no-task-ids')) name += `.${this.flags.bool('no-trunc') ? task.ID : String(task.ID).slice(0, 12)}`;
    const pad = ' '.repeat(Math.max(0, this.slotWidth - String(task.Slot).length));
    const prefix = `${name}@${node?.Description?.Hostname ?? details['com.docker.swarm.node.id']}${pad}`;
    this.cache.set(key, prefix);
    return prefix;
  }
}

export const logsCommand: Command = {
  name: 'logs',
  summary: 'Fetch the logs of a service or task',
  usage: '[OPTIONS] SERVICE|TASK',
  flags: [
    { name: 'details', type: 'bool', description: 'Show extra details provided to logs' },
    { name: 'follow', short: 'f', type: 'bool', description: 'Follow log output' },
    { name: 'no-resolve', type: 'bool', description: 'Do not map IDs to Names in output' },
    { name: 'no-task-ids', type: 'bool', description: 'Do not include task IDs in output' },
    { name: 'no-trunc', type: 'bool', description: 'Do not truncate output' },
    { name: 'raw', type: 'bool', description: 'Do not neatly format logs' },
    { name: 'since', type: 'string', description: 'Show logs since timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)' },
    { name: 'tail', short: 'n', type: 'string', description: 'Number of lines to show from the end of the logs (default "all")' },
    { name: 'timestamps', short: 't', type: 'bool', description: 'Show timestamps' },
  ],
  args: { min: 1, max: 1 },
  async run(ctx, flags) {
    const service = await getService(ctx, flags.positionals[0]!);
    const raw = flags.bool('raw');
    const timestamps = flags.bool('timestamps');
    const res = await ctx.client.open('GET', `/services/${service.ID}/logs`, {
      query: { details: flags.bool('details') || !raw ? 1 : undefined, follow: flags.bool('follow') ? 1 : undefined, since: flags.string('since'), stderr: 1, stdout: 1, tail: flags.string('tail') ?? 'all', timestamps: timestamps ? 1 : undefined },
    });
    const prefixes = new TaskPrefixes(ctx, flags, String(service.Spec.Mode?.Replicated?.Replicas ?? 1).length);
    for await (const { stream, payload } of frames(res)) {
      const out = stream === 2 ? ctx.err : ctx.out;
      if (raw) {
        out.write(payload);
        continue;
      }
      const line = payload.toString();
      const parts = line.split(' ');
      const ts = timestamps ? `${parts.shift()} ` : '';
      const details = Object.fromEntries((parts.shift() ?? '').split(',').filter(Boolean).map((kv) => kv.split('=') as [string, string]));
      const extra = Object.keys(details).filter((k) => !k.startsWith('com.docker.swarm.')).sort().map((k) => `${k}=${details[k]}`);
      out.write(`${ts}${await prefixes.prefix(details)}    | ${flags.bool('details') && extra.length ? `${extra.join(',')} ` : ''}${parts.join(' ')}`);
    }
  },
};
