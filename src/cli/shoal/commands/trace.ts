import type { Command } from '../command.js';
import { renderInspect } from '../format/inspect.js';
import { alignColumns } from '../format/tabwriter.js';
import type { TraceReport } from '../../../cluster/trace/trace-report.js';

/** The report as `shoal trace` prints it: who the client is, then per host the entry, rule, backend and why. */
export function traceText(r: TraceReport): string {
  const lines = [`Client:\t${r.client}`, `Service:\t${r.service}`];
  for (const h of r.hops) {
    lines.push(`Host:\t${h.hostname} (${h.addr}), ${h.via}`);
    if (h.error) {
      lines.push(`  Error:\t${h.error}`);
      continue;
    }
    lines.push(`  Rule:\t${h.rule}`);
    lines.push(`  Backend:\t${h.backend ? `${h.backend.address} (task ${h.backend.task || h.backend.taskId}${h.backend.host ? ` on ${h.backend.host}` : ''})` : 'none'}`);
    lines.push(`  Why:\t${h.why}`);
  }
  return alignColumns(lines.join('\n') + '\n', 12, 1);
}

export const traceCommand: Command = {
  name: 'trace',
  summary: 'Show which host, rule and backend a new connection from a client to a service would take now, and why',
  usage: '[OPTIONS] CLIENT-ADDRESS SERVICE',
  flags: [
    { name: 'port', short: 'p', type: 'string', description: "Port the client connects to (default: the service's first published port, or its target port on a VIP)" },
    { name: 'protocol', type: 'string', description: 'tcp or udp (default tcp)' },
    { name: 'format', type: 'string', description: "Format output using a custom template: 'json' or a Go template" },
  ],
  args: { min: 2, max: 2 },
  async run(ctx, flags) {
    const [client, service] = flags.positionals as [string, string];
    const report = await ctx.client.get<TraceReport>('/shoal/trace', { client, service, port: flags.string('port'), protocol: flags.string('protocol') });
    const format = flags.string('format');
    ctx.out.write(format ? renderInspect([report], format) : traceText(report));
    return report.hops.some((h) => h.error) ? 1 : 0;
  },
};
