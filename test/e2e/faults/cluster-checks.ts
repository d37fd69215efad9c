import assert from 'node:assert/strict';
import { waitUntil } from '../../lab/index.js';

/** The docker CLI against one host's shoald: its stdout (throws on failure). */
export type Run = (host: string, ...args: string[]) => Promise<string>;

/** What the cluster acknowledged (the CLI returned success): it must all still be there. */
export interface Acknowledged {
  services: Set<string>;
  networks: Set<string>;
  secrets: Set<string>;
}

export const acknowledged = (): Acknowledged => ({ services: new Set(), networks: new Set(), secrets: new Set() });

interface TaskView {
  ID: string;
  ServiceID: string;
  Slot?: number;
  NodeID: string;
  DesiredState: string;
  NetworksAttachments?: { Network: { ID: string }; Addresses: string[] }[];
}
interface ServiceView { ID: string; Spec: { Name: string; Mode: { Replicated?: unknown } }; Endpoint?: { VirtualIPs?: { NetworkID: string; Addr: string }[] } }
interface NodeView {
  ID: string;
  Description: { Hostname: string };
  Status: { State: string };
  Attachments?: { NetworkID: string; Addr: string }[];
  ShoalEndpointTable?: { AppliedVersion: number; ManagersVersion: number };
}

const ids = (out: string) => out.trim().split('\n').filter(Boolean);
const inspect = async <T>(run: Run, host: string, type: string, list: string[]): Promise<T[]> =>
  list.length ? (JSON.parse(await run(host, 'inspect', '--type', type, ...list)) as T[]) : [];

/**
 * Every acknowledged service, network and secret is listed by the manager on `host`, within
 * `timeoutMs` (a manager back from a partition reads its own copy, which catches up); how long it took.
 */
export async function assertNothingLost(run: Run, host: string, acked: Acknowledged, timeoutMs = 15_000): Promise<number> {
  const t0 = Date.now();
  let missing: string[] = [];
  const names = async (...args: string[]) => new Set(ids(await run(host, ...args, '--format', '{{.Name}}')));
  try {
    await waitUntil('every acknowledged object listed', async () => {
      const [services, networks, secrets] = [await names('service', 'ls'), await names('network', 'ls'), await names('secret', 'ls')];
      missing = [
        ...[...acked.services].filter((s) => !services.has(s)).map((s) => `service ${s}`),
        ...[...acked.networks].filter((n) => !networks.has(n)).map((n) => `network ${n}`),
        ...[...acked.secrets].filter((s) => !secrets.has(s)).map((s) => `secret ${s}`),
      ];
      return missing.length === 0;
    }, { timeoutMs, intervalMs: 200 });
  } catch {
    assert.fail(`acknowledged objects lost on ${host}: ${missing.join(', ')}`);
  }
  return Date.now() - t0;
}

/**
 * No slot of a replicated service (no node of a global one) has two tasks wanted running, and no
 * address is given twice on a network: tasks, service VIPs and the hosts' own attachments.
 */
export async function assertNoDuplicates(run: Run, host: string): Promise<{ tasks: number; addresses: number }> {
  const services = await inspect<ServiceView>(run, host, 'service', ids(await run(host, 'service', 'ls', '-q')));
  const nodes = await inspect<NodeView>(run, host, 'node', ids(await run(host, 'node', 'ls', '-q')));
  const owners = new Map<string, string>();
  const claim = (network: string, cidr: string, who: string) => {
    const key = `${network} ${cidr.split('/')[0]}`;
    assert.equal(owners.get(key), undefined, `address ${key} given to both ${owners.get(key)} and ${who}`);
    owners.set(key, who);
  };
  let tasks = 0;
  for (const svc of services) {
    for (const vip of svc.Endpoint?.VirtualIPs ?? []) claim(vip.NetworkID, vip.Addr, `the VIP of ${svc.Spec.Name}`);
    const running = await inspect<TaskView>(run, host, 'task', ids(await run(host, 'service', 'ps', '-q', '--filter', 'desired-state=running', svc.ID)));
    const slots = new Map<string, string>();
    for (const t of running) {
      const slot = svc.Spec.Mode.Replicated ? `slot ${t.Slot}` : `node ${t.NodeID}`;
      assert.equal(slots.get(slot), undefined, `${svc.Spec.Name} has two tasks wanted running in ${slot}: ${slots.get(slot)} and ${t.ID}`);
      slots.set(slot, t.ID);
      for (const a of t.NetworksAttachments ?? []) for (const addr of a.Addresses) claim(a.Network.ID, addr, `task ${t.ID} of ${svc.Spec.Name}`);
    }
    tasks += running.length;
  }
  for (const n of nodes) for (const a of n.Attachments ?? []) claim(a.NetworkID, a.Addr, `host ${n.Description.Hostname}`);
  return { tasks, addresses: owners.size };
}

/**
 * Every ready host reports applying the managers' current endpoint table (one version for all),
 * waited for up to `timeoutMs`; the version is returned.
 */
export async function waitTablesConverged(run: Run, host: string, timeoutMs = 20_000): Promise<number> {
  let last = '';
  try {
    return await waitUntil('every host applied the managers\' endpoint table', async () => {
      const nodes = (await inspect<NodeView>(run, host, 'node', ids(await run(host, 'node', 'ls', '-q')))).filter((n) => n.Status.State === 'ready');
      const versions = nodes.map((n) => `${n.Description.Hostname}=${n.ShoalEndpointTable?.AppliedVersion}/${n.ShoalEndpointTable?.ManagersVersion}`);
      last = versions.join(' ');
      const managers = new Set(nodes.map((n) => n.ShoalEndpointTable?.ManagersVersion));
      const version = nodes[0]?.ShoalEndpointTable?.ManagersVersion;
      return managers.size === 1 && version && nodes.every((n) => n.ShoalEndpointTable?.AppliedVersion === version) && version;
    }, { timeoutMs, intervalMs: 300 });
  } catch (err) {
    throw new Error(`${(err as Error).message} (applied/managers: ${last})`);
  }
}
