import { performance } from 'node:perf_hooks';
import type { EndpointTable } from '../../cluster/endpoints/types.js';
import { ShoalError } from '../../util/errors.js';
import type { Logger } from '../../util/logger.js';
import { localRunner, runBatch, runChecked, type CommandRunner } from './commands.js';
import { desiredOverlay } from './desired.js';
import { removalCommands } from './devices.js';
import { isolationRuleset, removeIsolationRuleset } from './isolation.js';
import { readKernel, type UnderlayChoice } from './kernel-view.js';
import { bridgeName, type NetworkBridge } from './names.js';
import { planOverlay, type OverlayPlan } from './plan.js';
import type { KernelView, UnderlayEnv } from './types.js';

export interface OverlayOptions {
  nodeId: string;
  /** This host's underlay address: the source of its VXLAN packets (the node's advertise address). */
  underlayAddr: string;
  log: Logger;
  /** Overlay MTU; by default the underlay device's MTU minus the VXLAN overhead (1450 on 1500). */
  mtu?: number;
  /** UDP port of VXLAN traffic: the cluster's DataPathPort (`swarm init --data-path-port`), 4789 by default. */
  vxlanPort?: number;
  /** Where commands run; by default in this process's network namespace. */
  run?: CommandRunner;
  /**
   * Called after every change, inside it, with this host's address on each network here that
   * publishes names (all but ingress): the embedded DNS listens there. A task being attached
   * starts only after this returned, so its first query finds a server.
   */
  onNetworks?: (hostAddresses: string[]) => Promise<void>;
}

/** Host-wide settings the overlay relies on, set explicitly: new namespaces copy some from the root one. */
const HOST_SYSCTLS = ['net.ipv4.ip_forward=1', 'net.bridge.bridge-nf-call-iptables=1'];

const EMPTY_TABLE: EndpointTable = { version: 0, nodes: [], networks: [], services: [], tasks: [] };

/**
 * The overlay of one host: per network used here, a bridge (fixed MAC, the host's address) and a
 * VXLAN device (nolearning, proxy), with a neighbour and forwarding entry per remote endpoint of
 * the endpoint table, and the isolation table between networks. Every change diffs what should be
 * against what was programmed and runs as one `ip -batch` plus one `bridge -batch`.
 *
 * A network is here while a task of this host uses it: a task of the table on this node, or one
 * being started (attach → detach). The first change reads the kernel, so devices and entries a
 * dead daemon left are reused or removed.
 */
export class Overlay {
  private readonly run: CommandRunner;
  private readonly log: Logger;
  private readonly underlay: UnderlayChoice;
  private table = EMPTY_TABLE;
  /** Networks held by tasks being started or running here: task ID → VNI → host address. */
  private readonly pins = new Map<string, Map<number, string>>();
  /** What the kernel holds; undefined until read, and again after a failed change (re-read then). */
  private view: KernelView | undefined;
  private env: UnderlayEnv | undefined;
  /** The isolation ruleset last loaded. */
  private isolation: string | undefined;
  private hostSysctlsSet = false;
  /** Until a table came, devices nothing holds yet are kept: a restarted agent may still be attaching its tasks. */
  private tableApplied = false;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(private readonly o: OverlayOptions) {
    this.run = o.run ?? localRunner;
    this.underlay = { address: o.underlayAddr, mtu: o.mtu, port: o.vxlanPort };
    this.log = o.log.child({ component: 'overlay', node: o.nodeId });
  }

  /** Programs this host for `table` (a newer version than the last one applied; older ones are ignored). */
  apply(table: EndpointTable): Promise<void> {
    return this.serially(async () => {
      if (table.version < this.table.version) {
        this.log.debug({ version: table.version, applied: this.table.version }, 'ignoring an older endpoint table');
        return;
      }
      this.table = table;
      this.tableApplied = true;
      await this.reconcile();
    });
  }

  /**
   * Makes network `vni` ready for task `taskId` starting here (bridge and VXLAN device, entries
   * for the peers the last table knows) and keeps it while the task holds it. Returns the bridge
   * the task's veth goes on.
   */
  attach(taskId: string, vni: number, hostAddress: string): Promise<NetworkBridge> {
    return this.serially(async () => {
      const held = this.pins.get(taskId) ?? new Map<number, string>();
      held.set(vni, hostAddress);
      this.pins.set(taskId, held);
      this.log.debug({ task: taskId, vni, address: hostAddress }, 'task holds a network');
      await this.reconcile();
      return { name: bridgeName(vni), mtu: this.env!.mtu };
    });
  }

  /** Task `taskId` no longer holds its networks (it ended, or never started): those no task uses leave. */
  detach(taskId: string): Promise<void> {
    return this.serially(async () => {
      if (this.pins.delete(taskId)) await this.reconcile();
    });
  }

  /** Removes everything the overlay made (and any leftovers of an earlier run); the object is done. */
  close(): Promise<void> {
    return this.serially(async () => {
      if (this.closed) return;
      this.closed = true;
      this.pins.clear();
      const view = this.view ?? (await readKernel(this.run, this.underlay)).view;
      this.view = undefined;
      await runBatch(this.run, 'ip', [...view.devices].flatMap(([vni, facts]) => removalCommands(vni, facts)));
      await runChecked(this.run, 'nft', ['-f', '-'], removeIsolationRuleset());
      this.log.info({ networks: view.devices.size }, 'overlay removed');
    }, true);
  }

  private serially<R>(fn: () => Promise<R>, evenClosed = false): Promise<R> {
    const next = this.queue.then(() => {
      if (this.closed && !evenClosed) throw new ShoalError('unavailable', 'the overlay is closed');
      return fn();
    });
    this.queue = next.catch(() => undefined);
    return next;
  }

  private pinned(): Map<number, string> {
    const out = new Map<number, string>();
    for (const held of this.pins.values()) for (const [vni, address] of held) out.set(vni, address);
    return out;
  }

  private async reconcile(): Promise<void> {
    const t0 = performance.now();
    if (!this.view || !this.env) ({ view: this.view, env: this.env } = await readKernel(this.run, this.underlay));
    const want = desiredOverlay(this.table, this.o.nodeId, this.pinned());
    const plan = planOverlay(this.view, want, this.env, !this.tableApplied);
    try {
      await runBatch(this.run, 'ip', plan.ip);
      await runBatch(this.run, 'bridge', plan.bridge);
    } catch (err) {
      this.view = undefined;
      throw err;
    }
    this.view = plan.next;
    const programmed = performance.now();
    await this.setSysctls(plan);
    const nets = [...want.networks.values()];
    const rules = isolationRuleset({
      vnis: [...plan.next.devices.keys()],
      internal: nets.filter((n) => n.internal).map((n) => n.vni),
      ingress: nets.find((n) => n.ingress)?.vni,
      subnets: want.subnets,
    });
    if (rules !== this.isolation) {
      this.isolation = undefined;
      await runChecked(this.run, 'nft', ['-f', '-'], rules);
      this.isolation = rules;
    }
    this.logChanges(plan, t0, programmed);
    await this.o.onNetworks?.(nets.filter((n) => !n.ingress).map((n) => n.hostAddress.split('/')[0]!).sort());
  }

  private async setSysctls(plan: OverlayPlan): Promise<void> {
    // Strict reverse-path filtering holds on the bridges: every host has its own address there (dataplane-lab §4).
    const wanted = [...(this.hostSysctlsSet ? [] : HOST_SYSCTLS), ...plan.touched.map((n) => `net.ipv4.conf.${bridgeName(n.vni)}.rp_filter=1`)];
    if (wanted.length === 0) return;
    const res = await this.run('sysctl', ['-q', '-w', ...wanted]);
    if (res.code !== 0) this.log.warn({ sysctls: wanted, error: res.stderr.trim() }, 'setting sysctls failed');
    this.hostSysctlsSet = true;
  }

  private logChanges(plan: OverlayPlan, t0: number, programmed: number): void {
    for (const n of plan.touched) this.log.info({ network: n.name, vni: n.vni, address: n.hostAddress, mtu: this.env!.mtu }, 'network devices set up');
    for (const vni of plan.removed) this.log.info({ vni }, 'network left this host: devices removed');
    const ms = (t: number): number => Math.round(t * 100) / 100;
    this.log.debug(
      { version: this.table.version, ipLines: plan.ip.length, fdbLines: plan.bridge.length, programmedMs: ms(programmed - t0), totalMs: ms(performance.now() - t0) },
      'overlay updated',
    );
  }
}
