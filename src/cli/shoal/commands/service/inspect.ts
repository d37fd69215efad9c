import type { Command, Context } from '../../command.js';
import { goPrint } from '../../format/template.js';
import { ago, bytesSize, goDuration } from '../../format/units.js';
import { formatFlag } from '../flags.js';
import { inspectEach } from '../inspect-helper.js';
import { getService, type Doc } from './resolve.js';

const has = (v: unknown): boolean => (Array.isArray(v) ? v.length > 0 : v && typeof v === 'object' ? Object.keys(v).length > 0 : !!v);
const sortedEntries = (m: Record<string, string> | undefined): [string, string][] => Object.keys(m ?? {}).sort().map((k) => [k, m![k]!]);

function rolloutConfig(l: string[], title: string, c: Doc | undefined, orderLabel: string): void {
  if (!c) return;
  l.push(`${title}:`, ` Parallelism:\t${c.Parallelism ?? 0}`);
  if ((c.Delay ?? 0) > 0) l.push(` Delay:\t\t${goDuration(c.Delay)}`);
  l.push(` On failure:\t${c.FailureAction ?? ''}`);
  if ((c.Monitor ?? 0) > 0) l.push(` Monitoring Period: ${goDuration(c.Monitor)}`);
  l.push(` Max failure ratio: ${goPrint(c.MaxFailureRatio ?? 0)}`, ` ${orderLabel}${c.Order ?? ''}`);
}

/** `service inspect --pretty`: the docker CLI's human-readable layout, line for line. */
export function prettyService(s: Doc, networkNames: Map<string, string>): string {
  const spec = s.Spec;
  const tt = spec.TaskTemplate ?? {};
  const cs = tt.ContainerSpec ?? {};
  const l: string[] = ['', `ID:\t\t${s.ID}`, `Name:\t\t${spec.Name}`];
  if (has(spec.Labels)) l.push('Labels:', ...sortedEntries(spec.Labels).map(([k, v]) => ` ${k}${v ? `=${v}` : ''}`));
  if (spec.Mode?.Global) l.push('Service Mode:\tGlobal');
  else if (spec.Mode?.Replicated) {
    l.push('Service Mode:\tReplicated');
    if (spec.Mode.Replicated.Replicas !== undefined) l.push(` Replicas:\t${spec.Mode.Replicated.Replicas}`);
  } else l.push('Service Mode:');
  const us = s.UpdateStatus;
  if (us?.State) {
    l.push('UpdateStatus:', ` State:\t\t${us.State}`);
    if (us.StartedAt) l.push(` Started:\t${ago(us.StartedAt)}`);
    if (us.State === 'completed' && us.CompletedAt) l.push(` Completed:\t${ago(us.CompletedAt)}`);
    l.push(` Message:\t${us.Message ?? ''}`);
  }
  l.push('Placement:');
  const placement = tt.Placement ?? {};
  if (has(placement.Constraints)) l.push(` Constraints:\t${goPrint(placement.Constraints)}`);
  const prefs = ((placement.Preferences ?? []) as Doc[]).filter((p) => p.Spread).map((p) => `spread=${p.Spread.SpreadDescriptor}`);
  if (prefs.length) l.push(` Preferences:   ${goPrint(prefs)}`);
  if (placement.MaxReplicas) l.push(` Max Replicas Per Node:   ${placement.MaxReplicas}`);
  rolloutConfig(l, 'UpdateConfig', spec.UpdateConfig, 'Update order:      ');
  rolloutConfig(l, 'RollbackConfig', spec.RollbackConfig, 'Rollback order:    ');
  l.push('ContainerSpec:', ` Image:\t\t${cs.Image ?? ''}`);
  if (has(cs.Args)) l.push(` Args:\t\t${cs.Args.map((a: string) => `${a} `).join('')}`);
  if (has(cs.Env)) l.push(` Env:\t\t${cs.Env.map((e: string) => `${e} `).join('')}`);
  if (cs.Dir) l.push(` Dir:\t\t${cs.Dir}`);
  if (cs.Init !== undefined && cs.Init !== null) l.push(` Init:\t\t${cs.Init}`);
  if (cs.User) l.push(` User: ${cs.User}`);
  if (has(cs.CapabilityAdd) || has(cs.CapabilityDrop)) {
    l.push('Capabilities:');
    if (has(cs.CapabilityAdd)) l.push(` Add: ${goPrint(cs.CapabilityAdd)}`);
    if (has(cs.CapabilityDrop)) l.push(` Drop: ${goPrint(cs.CapabilityDrop)}`);
  }
  if (has(cs.Sysctls)) l.push('SysCtls:', ...sortedEntries(cs.Sysctls).map(([k, v]) => ` ${k}${v ? `: ${v}` : ''}`));
  if (has(cs.Ulimits)) l.push('Ulimits:', ...[...(cs.Ulimits as Doc[])].sort((a, b) => (a.Name < b.Name ? -1 : 1)).map((u) => ` ${u.Name}: ${u.Soft}:${u.Hard}`));
  if (has(cs.Mounts)) l.push('Mounts:', ...(cs.Mounts as Doc[]).map((m) => ` Target:\t${m.Target}\n  Source:\t${m.Source ?? ''}\n  ReadOnly:\t${!!m.ReadOnly}\n  Type:\t\t${m.Type}`));
  if (has(cs.Configs)) l.push('Configs:', ...(cs.Configs as Doc[]).map((c) => ` Target:\t${c.File?.Name ?? ''}\n  Source:\t${c.ConfigName}`));
  if (has(cs.Secrets)) l.push('Secrets:', ...(cs.Secrets as Doc[]).map((c) => ` Target:\t${c.File?.Name ?? ''}\n  Source:\t${c.SecretName}`));
  if (tt.LogDriver) {
    l.push('Log Driver:');
    if (tt.LogDriver.Name) l.push(` Name:\t\t${tt.LogDriver.Name}`);
    if (has(tt.LogDriver.Options)) l.push(' LogOpts:', ...sortedEntries(tt.LogDriver.Options).map(([k, v]) => `  ${k}${v ? `:       ${v}` : ''}`));
    l[l.length - 1] += '\n';
  }
  const res = tt.Resources;
  if (res) {
    l.push('Resources:');
    const r = res.Reservations;
    if (r && ((r.NanoCPUs ?? 0) > 0 || (r.MemoryBytes ?? 0) > 0)) {
      l.push(' Reservations:');
      if ((r.NanoCPUs ?? 0) > 0) l.push(`  CPU:\t\t${goPrint(r.NanoCPUs / 1e9)}`);
      if (r.MemoryBytes) l.push(`  Memory:\t${bytesSize(r.MemoryBytes)}`);
    }
    const lim = res.Limits;
    if (lim && ((lim.NanoCPUs ?? 0) > 0 || (lim.MemoryBytes ?? 0) > 0 || (lim.Pids ?? 0) > 0)) {
      l.push(' Limits:');
      if ((lim.NanoCPUs ?? 0) > 0) l.push(`  CPU:\t\t${goPrint(lim.NanoCPUs / 1e9)}`);
      if (lim.MemoryBytes) l.push(`  Memory:\t${bytesSize(lim.MemoryBytes)}`);
    }
    if ((lim?.Pids ?? 0) > 0) l.push(`  PIDs:\t\t${lim.Pids}`);
  }
  const nets = ((tt.Networks ?? spec.Networks ?? []) as Doc[]).map((n) => networkNames.get(n.Target) ?? n.Target);
  if (nets.length) l.push(`Networks:${nets.map((n) => ` ${n}`).join('')} `);
  l.push(`Endpoint Mode:\t${spec.EndpointSpec?.Mode ?? s.Endpoint?.Spec?.Mode ?? ''}`);
  const ports = (spec.EndpointSpec?.Ports ?? []) as Doc[];
  if (ports.length) {
    l.push('Ports:', ...ports.map((p) => ` PublishedPort = ${p.PublishedPort}\n  Protocol = ${p.Protocol}\n  TargetPort = ${p.TargetPort}\n  PublishMode = ${p.PublishMode}`));
    l[l.length - 1] += ' ';
  }
  const hc = cs.Healthcheck;
  if (hc) {
    l.push(' Healthcheck:', `  Interval = ${goDuration(hc.Interval ?? 0)}`, `  Retries = ${hc.Retries ?? 0}`, `  StartPeriod =\t${goDuration(hc.StartPeriod ?? 0)}`, `  Timeout =\t${goDuration(hc.Timeout ?? 0)}`);
    if (has(hc.Test)) {
      l.push('  Tests:', ...(hc.Test as string[]).map((t) => `\t Test = ${t}`));
      l[l.length - 1] += ' ';
    }
  }
  return l.join('\n') + '\n';
}

async function networkNamesOf(ctx: Context, s: Doc): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  for (const n of (s.Spec.TaskTemplate?.Networks ?? s.Spec.Networks ?? []) as Doc[]) {
    try {
      names.set(n.Target, (await ctx.client.get<Doc>(`/networks/${encodeURIComponent(n.Target)}`, { scope: 'swarm' })).Name);
    } catch {
      // an unresolvable network shows as its ID, as docker shows it
    }
  }
  return names;
}

export const inspectCommand: Command = {
  name: 'inspect',
  summary: 'Display detailed information on one or more services',
  usage: '[OPTIONS] SERVICE [SERVICE...]',
  flags: [formatFlag, { name: 'pretty', type: 'bool', description: 'Print the information in a human friendly format' }],
  args: { min: 1 },
  async run(ctx, flags) {
    if (flags.bool('pretty')) {
      for (const ref of flags.positionals) {
        const s = await getService(ctx, ref, true);
        ctx.out.write(prettyService(s, await networkNamesOf(ctx, s)) + '\n');
      }
      return 0;
    }
    return inspectEach(ctx, flags.positionals, 'service', (ref) => ctx.client.get(`/services/${encodeURIComponent(ref)}`, { insertDefaults: true }), flags.string('format'), true);
  },
};
