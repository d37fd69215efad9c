import type { Command } from '../command.js';
import { renderInspect } from '../format/inspect.js';
import { filtersQuery, parseFilterFlags } from '../engine-client.js';
import { filterFlag } from './flags.js';
import { invalidArgument } from '../../../util/errors.js';

const UNITS: Record<string, number> = { ns: 1e-9, us: 1e-6, µs: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };

/** docker's `--since`/`--until`: unix seconds (or a cursor) as is, a duration back from now (`10m`, `1h30m`), or a date. */
export function timestampArg(value: string, now = Date.now()): string {
  if (/^\d+(\.\d{1,9})?$/.test(value)) return value;
  const parts = [...value.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)];
  if (parts.length && parts.map((p) => p[0]).join('') === value) {
    const seconds = parts.reduce((sum, p) => sum + Number(p[1]) * UNITS[p[2]!]!, 0);
    return ((now / 1000 - seconds)).toFixed(9);
  }
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw invalidArgument(`failed to parse value as time or duration: "${value}"`);
  return (ms / 1000).toFixed(3);
}

/** One event as `docker events` prints it: time with nanoseconds, type, action, actor and its attributes sorted. */
export function eventText(line: string): string {
  const e = JSON.parse(line) as { Type: string; Action: string; Actor: { ID: string; Attributes?: Record<string, string> } };
  const nano = BigInt(/"timeNano":(\d+)/.exec(line)?.[1] ?? '0');
  const iso = new Date(Number(nano / 1_000_000n)).toISOString();
  const time = `${iso.slice(0, 19)}.${(nano % 1_000_000_000n).toString().padStart(9, '0')}Z`;
  const attrs = Object.entries(e.Actor.Attributes ?? {}).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}=${v}`);
  return `${time} ${e.Type} ${e.Action} ${e.Actor.ID}${attrs.length ? ` (${attrs.join(', ')})` : ''}\n`;
}

export const eventsCommand: Command = {
  name: 'events',
  summary: 'Get real time events from the swarm (resumable: pass an event\'s cursor as --since)',
  usage: '[OPTIONS]',
  flags: [
    { name: 'since', type: 'string', description: "Show events since timestamp, duration or an event's cursor (resumes right after that event)" },
    { name: 'until', type: 'string', description: 'Stream events until this timestamp' },
    filterFlag,
    { name: 'format', type: 'string', description: "Format output using a custom template: 'json' or a Go template" },
  ],
  args: { max: 0 },
  async run(ctx, flags) {
    const since = flags.string('since');
    const until = flags.string('until');
    const res = await ctx.client.open('GET', '/events', {
      query: { since: since === undefined ? undefined : timestampArg(since), until: until === undefined ? undefined : timestampArg(until), filters: filtersQuery(parseFilterFlags(flags.list('filter'))) },
    });
    const format = flags.string('format');
    let pending = '';
    for await (const chunk of res as AsyncIterable<Buffer>) {
      pending += chunk.toString();
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        if (!line.trim()) continue;
        if (format === 'json') ctx.out.write(`${line}\n`);
        else ctx.out.write(format ? renderInspect([JSON.parse(line)], format) : eventText(line));
      }
    }
  },
};
