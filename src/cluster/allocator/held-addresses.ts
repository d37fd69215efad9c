import type { ReadTx } from '../store/index.js';
import { TASK_STATES, type NetworkObjectSwarm, type TaskObject } from '../types.js';
import { AddressPool } from './address-pool.js';

const RUNNING = TASK_STATES.indexOf('running');

/** A task past running (complete, failed, shut down, ...) holds no address any more. */
export const isFinished = (task: TaskObject): boolean => TASK_STATES.indexOf(task.Status.State) > RUNNING;

/**
 * Every address held on each network, by network ID: hosts' own (node attachments), services'
 * VIPs, and tasks' until they finish (a finished task's address is free again).
 */
export function heldAddresses(tx: ReadTx): Map<string, string[]> {
  const held = new Map<string, string[]>();
  const add = (networkId: string, address: string): void => {
    const list = held.get(networkId);
    if (list) list.push(address);
    else held.set(networkId, [address]);
  };
  for (const node of tx.list('nodes')) for (const a of node.Attachments ?? []) add(a.NetworkID, a.Addr);
  for (const svc of tx.list('services')) for (const v of svc.Endpoint?.VirtualIPs ?? []) add(v.NetworkID, v.Addr);
  for (const task of tx.list('tasks')) {
    if (isFinished(task)) continue;
    for (const a of task.NetworksAttachments ?? []) for (const addr of a.Addresses) add(a.Network.ID, addr);
  }
  return held;
}

/** An allocated network's address pool, with nothing taken but its gateway and auxiliary addresses. */
export function emptyPool(net: NetworkObjectSwarm): AddressPool | undefined {
  const cfg = net.IPAMOptions.Configs[0];
  if (!cfg?.Subnet) return undefined;
  return new AddressPool(cfg.Subnet, cfg.Gateway, cfg.IPRange, Object.values(cfg.AuxiliaryAddresses ?? {}));
}

/** At this share of its addresses in use, a network warns (log and `network inspect`). */
export const NEARLY_FULL = 0.8;

export interface AddressUsage {
  inUse: number;
  capacity: number;
}

/** How many of a network's addresses are held, of how many. */
export function addressUsage(net: NetworkObjectSwarm, held: ReadonlyMap<string, string[]>): AddressUsage | undefined {
  const pool = emptyPool(net);
  if (!pool) return undefined;
  for (const a of held.get(net.ID) ?? []) pool.reserve(a);
  return { inUse: pool.inUse, capacity: pool.capacity };
}

export const nearlyFull = (u: AddressUsage): boolean => u.capacity > 0 && u.inUse >= NEARLY_FULL * u.capacity;
