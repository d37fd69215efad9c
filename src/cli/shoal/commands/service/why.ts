import type { Command } from '../../command.js';
import { renderList, naturalCompare } from '../../format/list.js';
import { goJson } from '../../format/template.js';
import { getService, type Doc } from './resolve.js';

const WHY_FORMAT = {
  table: 'table {{.Host}}\t{{.State}}\t{{.TableApplied}}\t{{.Managers}}\t{{.Mesh}}\t{{.DNS}}\t{{.Verdict}}',
  headers: { Host: 'HOST', State: 'STATE', TableApplied: 'TABLE APPLIED', Managers: 'MANAGERS', Mesh: 'MESH BACKENDS', DNS: 'DNS TASKS', Verdict: 'VERDICT' },
};

const sameSet = (a: string[], b: string[]) => a.length === b.length && a.every((x) => b.includes(x));
const diff = (what: string, have: string[], want: string[]): string[] => {
  const missing = want.filter((x) => !have.includes(x));
  const extra = have.filter((x) => !want.includes(x));
  return [...(missing.length ? [`${what} lacks ${missing.join(' ')}`] : []), ...(extra.length ? [`${what} still has ${extra.join(' ')}`] : [])];
};

/** What the managers' view says a host should hold, to compare with it. */
interface Expected {
  /** Backend addresses by network ID. */
  backends: Map<string, string[]>;
  /** The service's VIP by network ID. */
  vips: Map<string, string>;
  ingressId?: string;
  netName: (id: string) => string;
}

/** What one host holds that the managers' view does not say, in words. */
function disagreements(host: Doc, e: Expected, service: Doc): string[] {
  const out: string[] = [];
  if (host.error) return [`could not ask it: ${host.error}`];
  for (const v of host.mesh.vips as Doc[]) out.push(...diff(`mesh VIP ${v.vip} (${e.netName(v.networkId)})`, v.backends, e.backends.get(v.networkId) ?? []));
  // Ingress traffic goes through published ports, not the ingress VIP.
  for (const [networkId, vip] of e.vips) {
    if (networkId !== e.ingressId && !(host.mesh.vips as Doc[]).some((v) => v.networkId === networkId)) out.push(`mesh has no VIP ${vip} (${e.netName(networkId)})`);
  }
  for (const p of host.mesh.ports as Doc[]) {
    if (p.mode === 'ingress') out.push(...diff(`mesh port ${p.port}/${p.protocol}`, p.backends, e.backends.get(e.ingressId ?? '') ?? []));
  }
  for (const r of host.dns as Doc[]) {
    const want = r.name === `tasks.${service.Spec.Name}` || service.Spec.EndpointSpec?.Mode === 'dnsrr' ? (e.backends.get(r.networkId) ?? []) : e.vips.has(r.networkId) ? [e.vips.get(r.networkId)!] : [];
    if (!sameSet(r.addresses, want)) out.push(...diff(`DNS ${r.name} (${e.netName(r.networkId)})`, r.addresses, want));
  }
  return out;
}

/** `shoal service why`: the managers' backends for a service against what every host's mesh and DNS hold (Shoal only). */
export const whyCommand: Command = {
  name: 'why',
  summary: "Show what each host's mesh and DNS hold for a service against the managers' view (Shoal only)",
  usage: '[OPTIONS] SERVICE',
  flags: [{ name: 'format', type: 'string', description: "'json' for the daemon's answer, or the host table: 'table', 'table TEMPLATE', 'TEMPLATE'" }],
  args: { min: 1, max: 1 },
  async run(ctx, flags) {
    const service = await getService(ctx, flags.positionals[0]!);
    const why = await ctx.client.get<Doc>(`/shoal/services/${service.ID}/why`);
    const format = flags.string('format');
    if (format === 'json') {
      ctx.out.write(goJson(why, false) + '\n');
      return;
    }
    const [networks, nodes] = await Promise.all([ctx.client.get<Doc[]>('/networks'), ctx.client.get<Doc[]>('/nodes')]);
    const names = new Map(networks.map((n) => [n.Id as string, n.Name as string]));
    const netName = (id: string) => names.get(id) ?? id;
    const hostName = new Map(nodes.map((n) => [n.ID as string, n.Description?.Hostname as string]));
    const backends = new Map<string, string[]>();
    for (const b of why.Managers.Backends as Doc[]) for (const [net, addr] of Object.entries(b.Addresses as Record<string, string>)) backends.set(net, [...(backends.get(net) ?? []), addr]);
    const vips = new Map(((service.Endpoint?.VirtualIPs ?? []) as Doc[]).map((v) => [v.NetworkID as string, String(v.Addr).split('/')[0]!]));
    const expected: Expected = { backends, vips, ingressId: networks.find((n) => n.Ingress)?.Id, netName };
    const lines = [`Service ${why.ServiceName} (${why.ServiceID}): managers' endpoint table ${why.Managers.TableVersion ?? '-'}, ${why.Managers.Backends.length} backends`];
    for (const b of why.Managers.Backends as Doc[]) {
      lines.push(`  ${String(b.TaskID).slice(0, 12)} on ${hostName.get(b.NodeID) ?? b.NodeID}: ${Object.entries(b.Addresses as Record<string, string>).map(([n, a]) => `${a} (${netName(n)})`).join(', ')}`);
    }
    const details: string[] = [];
    const rows = (why.Hosts as Doc[])
      .sort((a, b) => naturalCompare(a.hostname, b.hostname))
      .map((h) => {
        const problems = disagreements(h, expected, service);
        const behind = why.Managers.TableVersion !== undefined && h.appliedVersion < why.Managers.TableVersion;
        for (const p of problems) details.push(`${h.hostname}: ${p}`);
        const mesh = new Set((h.mesh.vips as Doc[]).flatMap((v) => v.backends));
        const dnsTasks = new Set((h.dns as Doc[]).filter((r) => r.name === `tasks.${why.ServiceName}`).flatMap((r) => r.addresses));
        const verdict = h.error ? 'unreachable' : problems.length ? (behind ? 'behind the managers' : 'disagrees') : behind ? 'behind, same backends' : 'in step';
        return { Host: h.hostname, State: h.state, TableApplied: h.appliedVersion, Managers: why.Managers.TableVersion ?? '-', Mesh: mesh.size, DNS: dnsTasks.size, Verdict: verdict, Problems: problems };
      });
    if (!format || format.startsWith('table')) ctx.out.write(lines.join('\n') + '\n\n');
    ctx.out.write(renderList(rows, WHY_FORMAT, { format }));
    if ((!format || format.startsWith('table')) && details.length) ctx.out.write('\n' + details.join('\n') + '\n');
  },
};
