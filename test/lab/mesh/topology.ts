import { join } from 'node:path';
import type { EndpointTable, PublishedPort } from '../../../src/cluster/endpoints/types.js';
import { bridgeName, OVERLAY_MTU } from '../../../src/mesh/overlay/names.js';
import { macAddress, networkBatches } from '../../../src/runtime/process/task-network.js';
import { exec } from '../../../src/util/exec.js';
import { LabProcess, LAB_NS_HOST, type Lab } from '../index.js';
import type { ProbeRequest, ProbeResult } from './probe.js';

/** An overlay network of the mesh lab: 10.0.<octet>.0/24 on bridge shoal<vni> in every host. */
export interface MeshNetwork {
  networkId: string;
  name: string;
  vni: number;
  octet: number;
  ingress: boolean;
}

export const INGRESS: MeshNetwork = { networkId: 'ingress', name: 'ingress', vni: 4096, octet: 0, ingress: true };
export const APPNET: MeshNetwork = { networkId: 'appnet', name: 'appnet', vni: 4097, octet: 1, ingress: false };

export interface MeshService {
  serviceId: string;
  name: string;
  ports: PublishedPort[];
  /** VIP mode, with a VIP on each of these networks (ingress included, as Docker gives one there too). */
  networks: MeshNetwork[];
  /** The last octet of its VIPs. */
  vipOctet: number;
}

export interface MeshTask {
  name: string;
  serviceId: string;
  host: string;
  netns: string;
  /** Bare address by network ID. */
  addresses: Record<string, string>;
  server: LabProcess | undefined;
}

export interface TaskOptions {
  name: string;
  service: MeshService;
  host: string;
  /** Ports the task's server listens on (task-server.ts). */
  tcp?: number[];
  udp?: number[];
  /** Start the server (default); false leaves an address that refuses connections. */
  serve?: boolean;
  /** The server accepts TCP connections and never answers (`mute`), closes them at once (`hangup`), or answers a request line only (`request`). */
  answer?: TaskAnswer;
}

export type TaskAnswer = 'mute' | 'hangup' | 'request' | 'proxy';

const here = (f: string) => new URL(f, import.meta.url).pathname;

/** A host's fixed bridge MAC, as Shoal gives it: 02:aa and its address (tasks have 02:42). */
const hostMac = (address: string): string => `02:aa${macAddress(address).slice(5)}`;

/**
 * Hosts, overlay networks and tasks for mesh tests, built the way Shoal builds them: per host a
 * bridge shoal<vni> with the host's own address (src/mesh/overlay/names.ts), per task a namespace
 * with a veth on it and the host as default gateway (the process runtime's task-network.ts
 * batches, run as they are), and optionally a VXLAN between hosts with programmed FDB and
 * neighbour entries (dataplane-lab §3). Everything lives in the lab's namespaces.
 */
export class MeshLab {
  readonly tasks: MeshTask[] = [];
  private taskCount = 0;

  constructor(
    readonly lab: Lab,
    readonly networks: MeshNetwork[] = [INGRESS, APPNET],
  ) {}

  /** The host's own address on a network: .2, .3, ... by host order. */
  hostAddress(net: MeshNetwork, host: string): string {
    const i = this.lab.hosts.findIndex((h) => h.name === host);
    if (i < 0) throw new Error(`no host ${host}`);
    return `10.0.${net.octet}.${2 + i}`;
  }

  vip(service: MeshService, net: MeshNetwork): string {
    return `10.0.${net.octet}.${service.vipOctet}`;
  }

  /** Creates every network's bridge, with the host's address on it, in every host. */
  async setUpHosts(): Promise<void> {
    for (const h of this.lab.hosts) {
      const cmds = this.networks.flatMap((n) => [
        `link add name ${bridgeName(n.vni)} type bridge`,
        `link set dev ${bridgeName(n.vni)} address ${hostMac(this.hostAddress(n, h.name))} mtu ${OVERLAY_MTU}`,
        `addr add ${this.hostAddress(n, h.name)}/24 dev ${bridgeName(n.vni)}`,
        `link set dev ${bridgeName(n.vni)} up`,
      ]);
      await this.lab.exec(h.name, 'ip', ['-batch', '-'], { input: `${cmds.join('\n')}\n` });
    }
  }

  /** A task on the service's networks, with the next free address on each, its server started. */
  async addTask(o: TaskOptions): Promise<MeshTask> {
    const index = 10 + this.taskCount++;
    const netns = `${this.lab.prefix}-t${index}`;
    const attachments = o.service.networks.map((n) => ({
      networkId: n.networkId,
      networkName: n.name,
      address: `10.0.${n.octet}.${index}/24`,
      gateway: this.hostAddress(n, o.host),
      bridge: bridgeName(n.vni),
      mtu: OVERLAY_MTU,
    }));
    const veths = attachments.map((_, i) => `vt${index}${i}`);
    const [hostSide, taskSide] = networkBatches(netns, attachments, veths);
    await this.lab.exec(o.host, 'ip', ['-batch', '-'], { input: hostSide!.batch });
    await exec('ip', [...taskSide!.args, '-batch', '-'], { input: taskSide!.batch });
    const task: MeshTask = {
      name: o.name,
      serviceId: o.service.serviceId,
      host: o.host,
      netns,
      addresses: Object.fromEntries(attachments.map((a) => [a.networkId, a.address.split('/')[0]!])),
      server: undefined,
    };
    this.tasks.push(task);
    if (o.serve !== false) await this.startServer(task, o.tcp ?? [], o.udp ?? [], o.answer);
    return task;
  }

  async startServer(task: MeshTask, tcp: number[], udp: number[], answer?: TaskAnswer): Promise<void> {
    const args = [task.name, tcp.join(','), udp.join(','), ...(answer ? [answer] : [])];
    task.server = await this.startIn(task, here('./task-server.js'), args, new RegExp(`ready ${task.name}`));
  }

  /** Runs a Node script inside a task's namespace and waits until it prints `ready`. */
  async startIn(task: MeshTask, script: string, args: string[], ready: RegExp): Promise<LabProcess> {
    const argv = ['nsenter', `--net=/run/netns/${task.netns}`, '--', process.execPath, script, ...args];
    const proc = await LabProcess.spawn(task.host, task.name, argv, join(this.lab.hostDir(task.host), `${task.name}.log`), {});
    await proc.waitForOutput(ready, 10_000);
    return proc;
  }

  /** Kills the task's server (a crash: no goodbye); its address then refuses connections. */
  async killServer(task: MeshTask): Promise<void> {
    if (task.server?.running) process.kill(task.server.pid, 'SIGKILL');
    await task.server?.exited;
  }

  /**
   * A VXLAN per network between all hosts (nolearning, proxy ARP), with FDB and neighbour entries
   * for every remote endpoint: tasks and the other hosts' own addresses. Run again after adding tasks.
   */
  async linkOverlay(): Promise<void> {
    for (const h of this.lab.hosts) {
      const ip: string[] = [];
      const fdb: string[] = [];
      for (const n of this.networks) {
        const vx = `vx${n.vni}`;
        const exists = (await this.lab.exec(h.name, 'ip', ['link', 'show', vx], { allowFail: true })).code === 0;
        if (!exists) {
          ip.push(`link add ${vx} type vxlan id ${n.vni} dstport 4789 local ${h.address} dev eth0 nolearning proxy`, `link set ${vx} mtu ${OVERLAY_MTU} master ${bridgeName(n.vni)} up`);
        }
        for (const [addr, mac, remote] of this.remoteEndpoints(n, h.name)) {
          fdb.push(`fdb replace ${mac} dev ${vx} dst ${remote} self permanent`);
          ip.push(`neigh replace ${addr} lladdr ${mac} dev ${vx} nud permanent`);
        }
      }
      // The devices first: the neighbour entries need them, the FDB entries too.
      const links = ip.filter((l) => l.startsWith('link'));
      if (links.length) await this.lab.exec(h.name, 'ip', ['-batch', '-'], { input: `${links.join('\n')}\n` });
      if (fdb.length) await this.lab.exec(h.name, 'bridge', ['-batch', '-'], { input: `${fdb.join('\n')}\n` });
      const neigh = ip.filter((l) => !l.startsWith('link'));
      if (neigh.length) await this.lab.exec(h.name, 'ip', ['-batch', '-'], { input: `${neigh.join('\n')}\n` });
    }
  }

  /** [address, MAC, underlay address of its host] of every endpoint on `net` that is not on `host`. */
  private remoteEndpoints(net: MeshNetwork, host: string): [string, string, string][] {
    const out: [string, string, string][] = [];
    for (const t of this.tasks) {
      const a = t.addresses[net.networkId];
      if (a && t.host !== host) out.push([a, macAddress(a), this.lab.host(t.host).address]);
    }
    for (const h of this.lab.hosts) {
      const a = this.hostAddress(net, h.name);
      if (h.name !== host) out.push([a, hostMac(a), h.address]);
    }
    return out;
  }

  /** The endpoint table the managers would derive: `serving` tasks of `services` on the lab's hosts. */
  /** The endpoint table Shoal's managers would send: `serving` tasks, and `draining` ones (told to stop, still running). */
  table(version: number, services: MeshService[], serving: readonly MeshTask[], draining: readonly MeshTask[] = []): EndpointTable {
    return {
      version,
      nodes: this.lab.hosts.map((h) => ({ nodeId: h.name, hostname: h.name, addr: h.address })),
      networks: this.networks.map((n) => ({
        networkId: n.networkId,
        name: n.name,
        vni: n.vni,
        subnet: `10.0.${n.octet}.0/24`,
        ingress: n.ingress,
        internal: false,
        attachable: false,
        hostAddresses: Object.fromEntries(this.lab.hosts.map((h) => [h.name, `${this.hostAddress(n, h.name)}/24`])),
      })),
      services: services.map((s) => ({
        serviceId: s.serviceId,
        name: s.name,
        mode: 'vip',
        ports: s.ports,
        vips: Object.fromEntries(s.networks.map((n) => [n.networkId, `${this.vip(s, n)}/24`])),
        aliases: {},
        networks: s.networks.map((n) => n.networkId),
      })),
      tasks: [...serving, ...draining].map((t, i) => ({
        taskId: t.name,
        serviceId: t.serviceId,
        name: t.name,
        nodeId: t.host,
        addresses: Object.fromEntries(Object.entries(t.addresses).map(([n, a]) => [n, `${a}/24`])),
        ...(i >= serving.length ? { draining: true as const } : {}),
      })),
    };
  }

  /** Runs probe.ts in a lab host, in the lab namespace (`lab`: the outside world) or in a task's namespace. */
  async probe(from: string | MeshTask, req: ProbeRequest): Promise<ProbeResult> {
    const args = [here('./probe.js'), JSON.stringify(req)];
    const { stdout } =
      typeof from === 'string' ? await this.lab.exec(from, process.execPath, args) : await exec('nsenter', [`--net=/run/netns/${from.netns}`, '--', process.execPath, ...args]);
    return JSON.parse(stdout) as ProbeResult;
  }

  /** Starts probe.ts in the lab namespace in the background; `result()` waits for it. */
  /** Starts probe.ts in the lab namespace; `started()` resolves once it sends, `greeted()` once a held connection got its first line. */
  async startProbe(req: ProbeRequest): Promise<{ result: () => Promise<ProbeResult>; started: () => Promise<unknown>; greeted: () => Promise<unknown> }> {
    const proc = await this.lab.start(LAB_NS_HOST, process.execPath, [here('./probe.js'), JSON.stringify(req)], { name: 'probe' });
    return {
      started: () => proc.waitForOutput(/probe started/),
      greeted: () => proc.waitForOutput(/probe greeted/),
      result: async () => {
        const exit = await proc.exited;
        const out = proc.output();
        if (exit.code !== 0) throw new Error(`probe failed (${exit.code}): ${out}`);
        return JSON.parse(out.trim().split('\n').pop()!) as ProbeResult;
      },
    };
  }
}
