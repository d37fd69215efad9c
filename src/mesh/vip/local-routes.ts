import { exec } from '../../util/exec.js';

/** Route protocol that marks Shoal's VIP routes, so a restarted agent finds (and removes) its own. */
export const VIP_ROUTE_PROTO = 83;

/**
 * Keeps one `local` route per VIP in this namespace. A local address makes the host answer ARP for
 * the VIP on its bridges (so tasks send VIP traffic to their host) and lets a proxy listen on it.
 * On `lo`, not on a bridge: the route does not depend on the network's bridge existing yet.
 */
export class VipRoutes {
  private current: Set<string> | undefined;

  async sync(vips: Iterable<string>): Promise<void> {
    const want = new Set(vips);
    const have = (this.current ??= await listVipRoutes());
    const lines: string[] = [];
    for (const v of want) if (!have.has(v)) lines.push(`route replace local ${v}/32 dev lo table local proto ${VIP_ROUTE_PROTO} scope host`);
    for (const v of have) if (!want.has(v)) lines.push(`route del local ${v}/32 dev lo table local proto ${VIP_ROUTE_PROTO}`);
    if (lines.length === 0) return;
    this.current = undefined; // re-read after a failure
    await exec('ip', ['-batch', '-'], { input: `${lines.join('\n')}\n` });
    this.current = want;
  }

  clear(): Promise<void> {
    return this.sync([]);
  }
}

async function listVipRoutes(): Promise<Set<string>> {
  const res = await exec('ip', ['-4', 'route', 'show', 'table', 'local', 'proto', String(VIP_ROUTE_PROTO)], { allowFail: true });
  // A namespace whose loopback has never been up has no local table yet.
  if (res.code !== 0 && !/table does not exist/.test(res.stderr)) throw new Error(`listing VIP routes failed: ${res.stderr.trim()}`);
  return new Set([...res.stdout.matchAll(/^local (\d+\.\d+\.\d+\.\d+) /gm)].map((m) => m[1]!));
}
