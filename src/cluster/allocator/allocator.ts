import type { Logger } from '../../util/logger.js';
import type { Clock } from '../../util/clock.js';
import { mutable, type ReadTx, type Store, type StoreEvent, type WriteTx } from '../store/index.js';
import { type NetworkObjectSwarm, type PortConfig, type ServiceObject, type TaskObject } from '../types.js';
import { AddressPool } from './address-pool.js';
import { firstFreeSubnet, parseCidr, intToIp, ipToInt, formatCidr } from './ipv4.js';
import { serviceNetworkIds, usesIngress } from './service-networks.js';
import { emptyPool, heldAddresses, isFinished, nearlyFull } from './held-addresses.js';

export const VXLAN_ID_OPTION = 'com.docker.network.driver.overlay.vxlanid_list';
const FIRST_VNI = 4096;
const PORT_RANGE = { first: 30000, last: 32767 };

export interface AllocatorOptions {
  store: Store;
  log: Logger;
  clock: Clock;
  defaultAddrPool: string[];
  subnetSize: number;
}

/**
 * Gives networks their subnet and VXLAN ID, services their VIPs and published ports, hosts
 * their address on each network, and new tasks their addresses (moving them to `pending`).
 * Everything it hands out is written to the store, so it is rebuilt from there after a restart.
 */
export class Allocator {
  private readonly pools = new Map<string, AddressPool>();
  /** Networks whose 80% warning was given. */
  private readonly nearlyFull = new Set<string>();
  private unwatch?: () => void;
  private scheduled = false;
  private running: Promise<void> = Promise.resolve();

  constructor(private readonly opts: AllocatorOptions) {}

  start(): void {
    this.unwatch = this.opts.store.watch((events) => {
      if (events.some(needsPass)) this.kick();
    });
    this.kick();
  }

  async stop(): Promise<void> {
    this.unwatch?.();
    await this.running;
  }

  /** Runs one allocation pass soon; passes never overlap and events during one cause another. */
  private kick(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    this.running = this.running.then(async () => {
      this.scheduled = false;
      try {
        await this.opts.store.update((tx) => this.allocate(tx));
      } catch (err) {
        this.opts.log.error({ err }, 'allocation pass failed; will retry on the next change');
      }
    });
  }

  private allocate(tx: WriteTx): void {
    // Ingress first, so it gets the pool's first subnet (10.0.0.0/24) as in Docker.
    const unallocated = tx.list('networks').filter((n) => !n.DriverState.Options[VXLAN_ID_OPTION]);
    unallocated.sort((a, b) => Number(!!b.Spec.Ingress) - Number(!!a.Spec.Ingress));
    for (const net of unallocated) this.allocateNetwork(tx, tx.get('networks', net.ID)!);
    this.syncPools(tx);
    for (const node of tx.list('nodes')) this.allocateNode(tx, node.ID);
    for (const svc of tx.list('services')) this.allocateService(tx, svc);
    for (const task of tx.find('tasks', 'desired', 'running')) if (task.Status.State === 'new') this.allocateTask(tx, task);
    this.warnNearlyFull(tx);
  }

  private allocateNetwork(tx: WriteTx, net: NetworkObjectSwarm): void {
    const others = tx.list('networks').filter((n) => n.ID !== net.ID);
    const usedVnis = new Set(others.map((n) => Number(n.DriverState.Options[VXLAN_ID_OPTION])).filter(Boolean));
    let vni = net.Spec.Ingress ? FIRST_VNI : FIRST_VNI + 1;
    while (usedVnis.has(vni)) vni++;
    const copy = mutable(net);
    const configs = net.Spec.IPAMOptions.Configs?.length ? mutable(net.Spec.IPAMOptions.Configs) : [];
    if (configs.length === 0) {
      const used = others.flatMap((n) => n.IPAMOptions.Configs.map((c) => parseCidr(c.Subnet!)));
      const subnet = this.opts.defaultAddrPool
        .map((pool) => firstFreeSubnet(parseCidr(pool), this.opts.subnetSize, used))
        .find((s) => s !== undefined);
      if (!subnet) {
        this.opts.log.error({ network: net.Spec.Name }, 'no free subnet left in the default address pool; give the network --subnet or widen --default-addr-pool');
        return;
      }
      configs.push({ Subnet: formatCidr(subnet), Gateway: intToIp(subnet.base + 1) });
    }
    for (const c of configs) if (!c.Gateway) c.Gateway = intToIp(parseCidr(c.Subnet!).base + 1);
    copy.IPAMOptions = { Driver: { Name: 'default' }, Configs: configs };
    copy.DriverState = { Name: 'overlay', Options: { [VXLAN_ID_OPTION]: String(vni) } };
    tx.update('networks', copy);
    this.opts.log.info({ network: net.Spec.Name, subnet: configs[0].Subnet, vni }, 'network allocated');
  }

  /**
   * Rebuilds each network's used addresses from the store, keeping the serial cursors. A pool new
   * to this allocator (a restart, a new leader) goes on after the address its newest task got.
   */
  private syncPools(tx: ReadTx): void {
    const held = heldAddresses(tx);
    const live = new Set<string>();
    for (const net of tx.list('networks')) {
      let pool = this.pools.get(net.ID);
      const fresh = !pool;
      pool ??= emptyPool(net);
      if (!pool) continue;
      live.add(net.ID);
      this.pools.set(net.ID, pool);
      pool.clear();
      for (const a of held.get(net.ID) ?? []) pool.reserve(a);
      if (fresh) resumePool(tx, net.ID, pool);
    }
    for (const id of this.pools.keys()) if (!live.has(id)) this.pools.delete(id);
  }

  /** Logs once when a network reaches 80% of its addresses, and again after it went below and back. */
  private warnNearlyFull(tx: ReadTx): void {
    for (const [id, pool] of this.pools) {
      const usage = { inUse: pool.inUse, capacity: pool.capacity };
      if (!nearlyFull(usage)) {
        this.nearlyFull.delete(id);
        continue;
      }
      if (this.nearlyFull.has(id)) continue;
      this.nearlyFull.add(id);
      const network = tx.get('networks', id)?.Spec.Name ?? id;
      this.opts.log.warn({ network, ...usage }, `network ${network} is ${Math.floor((100 * usage.inUse) / usage.capacity)}% full: new tasks will fail once its last address is taken; use a larger --subnet or another network`);
    }
  }

  private allocateNode(tx: WriteTx, nodeId: string): void {
    const node = tx.get('nodes', nodeId)!;
    const have = new Map((node.Attachments ?? []).map((a) => [a.NetworkID, a.Addr]));
    const want: { NetworkID: string; Addr: string }[] = [];
    for (const [netId, pool] of this.pools) {
      const addr = have.get(netId) ?? pool.allocate();
      if (addr) want.push({ NetworkID: netId, Addr: addr });
    }
    if (JSON.stringify(want) === JSON.stringify(node.Attachments ?? [])) return;
    const copy = mutable(node);
    copy.Attachments = want;
    tx.update('nodes', copy);
  }

  private allocateService(tx: WriteTx, svc: ServiceObject): void {
    const spec = svc.Spec.EndpointSpec ?? { Mode: 'vip' as const };
    const ports = this.publishedPorts(tx, svc);
    const vips: { NetworkID: string; Addr: string }[] = [];
    if ((spec.Mode ?? 'vip') === 'vip') {
      const old = new Map((svc.Endpoint?.VirtualIPs ?? []).map((v) => [v.NetworkID, v.Addr]));
      const netIds = serviceNetworkIds(svc.Spec);
      const ingress = tx.list('networks').find((n) => n.Spec.Ingress);
      if (usesIngress(svc.Spec) && ingress) netIds.unshift(ingress.ID);
      for (const netId of netIds) {
        const addr = old.get(netId) ?? this.pools.get(netId)?.allocate();
        if (addr) vips.push({ NetworkID: netId, Addr: addr });
      }
    }
    const endpoint: ServiceObject['Endpoint'] = { Spec: mutable(spec), ...(ports.length ? { Ports: ports } : {}), ...(vips.length ? { VirtualIPs: vips } : {}) };
    if (JSON.stringify(endpoint) === JSON.stringify(svc.Endpoint)) return;
    const copy = mutable(svc);
    copy.Endpoint = endpoint;
    tx.update('services', copy);
  }

  /** Published ports of a service, with dynamic ones (PublishedPort 0) given a free port once and kept. */
  private publishedPorts(tx: ReadTx, svc: ServiceObject): PortConfig[] {
    const wanted = (svc.Spec.EndpointSpec?.Ports ?? []).filter((p) => p.TargetPort);
    if (wanted.length === 0) return [];
    const taken = new Set<string>();
    for (const other of tx.list('services')) {
      if (other.ID === svc.ID) continue;
      for (const p of other.Endpoint?.Ports ?? []) if (p.PublishedPort) taken.add(`${p.Protocol ?? 'tcp'}/${p.PublishedPort}`);
    }
    const previous = svc.Endpoint?.Ports ?? [];
    return wanted.map((p) => {
      const protocol = p.Protocol ?? 'tcp';
      const out: PortConfig = { Protocol: protocol, TargetPort: p.TargetPort, PublishedPort: p.PublishedPort ?? 0, PublishMode: p.PublishMode ?? 'ingress' };
      if (p.Name) out.Name = p.Name;
      if (!out.PublishedPort) {
        const kept = previous.find((q) => q.TargetPort === p.TargetPort && (q.Protocol ?? 'tcp') === protocol && q.PublishMode === out.PublishMode);
        let port = kept?.PublishedPort ?? PORT_RANGE.first;
        while (!kept && taken.has(`${protocol}/${port}`) && port < PORT_RANGE.last) port++;
        out.PublishedPort = port;
      }
      taken.add(`${protocol}/${out.PublishedPort}`);
      return out;
    });
  }

  private allocateTask(tx: WriteTx, task: TaskObject): void {
    const svc = tx.get('services', task.ServiceID);
    if (!svc) return;
    const netIds = serviceNetworkIds(svc.Spec);
    const ingress = tx.list('networks').find((n) => n.Spec.Ingress);
    if (usesIngress(svc.Spec) && ingress && !netIds.includes(ingress.ID)) netIds.unshift(ingress.ID);
    const attachments: NonNullable<TaskObject['NetworksAttachments']> = [];
    for (const netId of netIds) {
      const net = tx.get('networks', netId);
      const pool = this.pools.get(netId);
      const addr = pool?.allocate();
      if (!net || !addr) {
        for (const a of attachments) for (const x of a.Addresses) this.pools.get(a.Network.ID)?.release(x);
        const why = !net ? `network ${netId} not found` : !pool ? `network ${net.Spec.Name} has no subnet yet` : `network ${net.Spec.Name} has no free address left (all ${pool.capacity} in use); remove tasks or use a larger --subnet`;
        if (task.Status.Err !== why) {
          const copy = mutable(task);
          copy.Status = { ...copy.Status, Message: why, Err: why, Timestamp: new Date(this.opts.clock.now()).toISOString() };
          tx.update('tasks', copy);
        }
        return;
      }
      attachments.push({ Network: mutable(net), Addresses: [addr] });
    }
    const copy = mutable(task);
    copy.NetworksAttachments = attachments;
    copy.Status = { ...copy.Status, State: 'pending', Message: 'pending task scheduling', Timestamp: new Date(this.opts.clock.now()).toISOString() };
    delete copy.Status.Err; // from a pass that found the network full
    tx.update('tasks', copy);
  }
}

/**
 * Whether a change may give the allocator work: anything but a task's status moving on, except
 * a new task, and a task that finishes or goes (its addresses are free for a task that waits).
 */
function needsPass(e: StoreEvent): boolean {
  if (e.table !== 'tasks' || e.action !== 'update') return true;
  const task = e.object as TaskObject;
  return task.Status.State === 'new' || (isFinished(task) && !isFinished(e.old as TaskObject));
}

/**
 * Points a pool rebuilt from the store after the address given last: the highest of its newest
 * tasks' (tasks created together are allocated together, in address order), else its highest in use.
 */
function resumePool(tx: ReadTx, networkId: string, pool: AddressPool): void {
  let newest: { at: string; ip: number } | undefined;
  for (const task of tx.list('tasks')) {
    const address = task.NetworksAttachments?.find((a) => a.Network.ID === networkId)?.Addresses[0];
    if (!address) continue;
    const ip = ipToInt(address.split('/')[0]!);
    if (!newest || task.CreatedAt > newest.at || (task.CreatedAt === newest.at && ip > newest.ip)) newest = { at: task.CreatedAt, ip };
  }
  if (newest) pool.resumeAfter(intToIp(newest.ip));
  else pool.resumeAfterHighest();
}
