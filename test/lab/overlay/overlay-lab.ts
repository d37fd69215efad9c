import type { EndpointTable, TaskEndpoint } from '../../../src/cluster/endpoints/types.js';
import type { CommandRunner } from '../../../src/mesh/overlay/commands.js';
import { bridgeName, OVERLAY_MTU } from '../../../src/mesh/overlay/names.js';
import { Overlay } from '../../../src/mesh/overlay/overlay.js';
import { networkBatches } from '../../../src/runtime/process/task-network.js';
import { exec, type ExecResult } from '../../../src/util/exec.js';
import type { Lab } from '../index.js';

/** A network of the overlay lab: 10.0.<octet>.0/24; host h<i> has 10.0.<octet>.<i+1>. */
export interface LabNetwork {
  networkId: string;
  vni: number;
  octet: number;
  internal?: boolean;
}

export interface LabTask {
  id: string;
  host: string;
  netns: string;
  /** Bare address by network ID. */
  addresses: Record<string, string>;
}

/**
 * What a daemon would build on each lab host, without the cluster: one Overlay per host (node ID
 * = host name) fed hand-built endpoint tables, and task namespaces plumbed exactly as the process
 * runtime does it (its task-network.ts batches: veth on the bridge, hairpin, Docker MAC, default
 * route via the host's address).
 */
export class OverlayLab {
  readonly tasks: LabTask[] = [];
  readonly overlays = new Map<string, Overlay>();

  constructor(
    readonly lab: Lab,
    readonly networks: LabNetwork[],
  ) {}

  /** Runs the overlay's commands inside a lab host. */
  runner(host: string): CommandRunner {
    return (cmd, args, input) => this.lab.exec(host, cmd, args, { input, allowFail: true });
  }

  /** A fresh Overlay for a host (replacing the one it had, without closing it: a daemon that died). */
  startOverlay(host: string): Overlay {
    const overlay = new Overlay({ nodeId: host, underlayAddr: this.lab.host(host).address, log: this.lab.log, run: this.runner(host) });
    this.overlays.set(host, overlay);
    return overlay;
  }

  overlay(host: string): Overlay {
    const o = this.overlays.get(host);
    if (!o) throw new Error(`no overlay on ${host}`);
    return o;
  }

  network(id: string): LabNetwork {
    const n = this.networks.find((x) => x.networkId === id);
    if (!n) throw new Error(`no network ${id}`);
    return n;
  }

  hostAddress(net: LabNetwork, host: string): string {
    return `10.0.${net.octet}.${this.lab.hosts.findIndex((h) => h.name === host) + 2}`;
  }

  /** The endpoint table the managers would derive with `tasks` serving (plus any extra endpoints). */
  table(version: number, tasks: readonly LabTask[], extra: TaskEndpoint[] = []): EndpointTable {
    return {
      version,
      nodes: this.lab.hosts.map((h) => ({ nodeId: h.name, hostname: h.name, addr: h.address })),
      networks: this.networks.map((n) => ({
        networkId: n.networkId,
        name: n.networkId,
        vni: n.vni,
        subnet: `10.0.${n.octet}.0/24`,
        ingress: false,
        internal: !!n.internal,
        attachable: false,
        hostAddresses: Object.fromEntries(this.lab.hosts.map((h) => [h.name, `${this.hostAddress(n, h.name)}/24`])),
      })),
      services: [],
      tasks: [
        ...tasks.map((t) => ({
          taskId: t.id,
          serviceId: 'svc',
          name: `svc.1.${t.id}`,
          nodeId: t.host,
          addresses: Object.fromEntries(Object.entries(t.addresses).map(([id, a]) => [id, `${a}/24`])),
        })),
        ...extra,
      ],
    };
  }

  /** A task namespace on `host` with an address (10.0.<octet>.<hostOctet>) on each network; bridges must exist. */
  async addTask(id: string, host: string, hostOctet: number, networkIds: string[]): Promise<LabTask> {
    const netns = `${this.lab.prefix}-${id}`;
    const attachments = networkIds.map((nid) => {
      const n = this.network(nid);
      return { networkId: nid, networkName: nid, address: `10.0.${n.octet}.${hostOctet}/24`, gateway: this.hostAddress(n, host), bridge: bridgeName(n.vni), mtu: OVERLAY_MTU };
    });
    const veths = attachments.map((_, i) => `v${id}${i}`);
    const [hostSide, taskSide] = networkBatches(netns, attachments, veths);
    await this.lab.exec(host, 'ip', ['-batch', '-'], { input: hostSide!.batch });
    await exec('ip', [...taskSide!.args, '-batch', '-'], { input: taskSide!.batch });
    const task: LabTask = { id, host, netns, addresses: Object.fromEntries(attachments.map((a) => [a.networkId, a.address.split('/')[0]!])) };
    this.tasks.push(task);
    return task;
  }

  /** Runs a command inside a task's namespace. */
  inTask(task: LabTask, cmd: string, args: readonly string[], input?: string): Promise<ExecResult> {
    return exec('nsenter', [`--net=/run/netns/${task.netns}`, '--', cmd, ...args], { input, allowFail: true });
  }

  /** One ICMP echo with DF set and `size` bytes of payload (the packet is 28 bytes more), 1 s to answer. */
  async ping(task: LabTask, to: string, size = 56): Promise<boolean> {
    return (await this.inTask(task, 'ping', ['-n', '-c', '1', '-W', '1', '-M', 'do', '-s', String(size), to])).code === 0;
  }
}
