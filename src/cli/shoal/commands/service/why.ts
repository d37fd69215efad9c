import type { Command } from '../../command.js';
import { filtersQuery } from '../../engine-client.js';
import { renderList, naturalCompare } from '../../format/list.js';
import { getService, type Doc } from './resolve.js';

const WHY_FORMAT = {
  table: 'table {{.Host}}\t{{.State}}\t{{.TableApplied}}\t{{.TableManagers}}\t{{.Backends}}\t{{.Verdict}}',
  headers: { Host: 'HOST', State: 'STATE', TableApplied: 'TABLE APPLIED', TableManagers: 'MANAGERS', Backends: 'BACKENDS HERE', Verdict: 'VERDICT' },
};

/** Why a service's traffic goes where it goes: the managers' backends, and each host's endpoint table against theirs (Shoal only). */
export const whyCommand: Command = {
  name: 'why',
  summary: "Show each host's endpoint table against the managers' view of a service (Shoal only)",
  usage: '[OPTIONS] SERVICE',
  flags: [{ name: 'format', type: 'string', description: "Format the host table: 'table', 'table TEMPLATE', 'json' or 'TEMPLATE'" }],
  args: { min: 1, max: 1 },
  async run(ctx, flags) {
    const service = await getService(ctx, flags.positionals[0]!);
    const [tasks, nodes, networks] = await Promise.all([
      ctx.client.get<Doc[]>('/tasks', { filters: filtersQuery({ service: [service.ID], 'desired-state': ['running'] }) }),
      ctx.client.get<Doc[]>('/nodes'),
      ctx.client.get<Doc[]>('/networks'),
    ]);
    const netName = new Map(networks.map((n) => [n.Id as string, n.Name as string]));
    const hostName = new Map(nodes.map((n) => [n.ID as string, n.Description?.Hostname as string]));
    const running = tasks.filter((t) => t.Status?.State === 'running');
    const vips = ((service.Endpoint?.VirtualIPs ?? []) as Doc[]).map((v) => `${v.Addr} on ${netName.get(v.NetworkID) ?? v.NetworkID}`);
    const lines = [`Service ${service.Spec.Name} (${service.ID})`, `VIPs: ${vips.join(', ') || 'none'}`, `Managers' backends (${running.length} running tasks of ${tasks.length} wanted):`];
    for (const t of running.sort((a, b) => a.Slot - b.Slot)) {
      const addrs = ((t.NetworksAttachments ?? []) as Doc[]).flatMap((a) => (a.Addresses ?? []).map((x: string) => `${x.split('/')[0]} (${a.Network?.Spec?.Name ?? ''})`));
      lines.push(`  ${service.Spec.Name}.${t.Slot || t.NodeID}  ${String(t.ID).slice(0, 12)}  on ${hostName.get(t.NodeID) ?? t.NodeID}  ${addrs.join(', ')}`);
    }
    const rows = nodes
      .sort((a, b) => naturalCompare(a.Description?.Hostname ?? '', b.Description?.Hostname ?? ''))
      .map((n) => {
        const table = n.ShoalEndpointTable ?? {};
        const applied = table.AppliedVersion;
        const managers = table.ManagersVersion;
        const here = running.filter((t) => t.NodeID === n.ID).length;
        let verdict = 'in step: its mesh and DNS hold the managers\' backends';
        if (n.Status?.State !== 'ready') verdict = `host is ${n.Status?.State}: its backends are being replaced`;
        else if (applied === undefined) verdict = 'no endpoint table applied yet';
        else if (managers !== undefined && applied < managers) verdict = `behind: applied table ${applied}, managers at ${managers}; its mesh and DNS still hold older backends`;
        return { Host: n.Description?.Hostname ?? n.ID, State: n.Status?.State ?? '', TableApplied: applied ?? '-', TableManagers: managers ?? '-', Backends: here, Verdict: verdict };
      });
    const format = flags.string('format');
    if (!format || format.startsWith('table')) ctx.out.write(lines.join('\n') + '\n\n');
    ctx.out.write(renderList(rows, WHY_FORMAT, { format }));
  },
};
