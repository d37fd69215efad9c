import type { EndpointTable, NetworkEndpoint, ServiceEndpoint, TaskEndpoint } from '../../cluster/endpoints/types.js';
import type { NameClass } from './entry.js';
import { reverseName, stripPrefix } from './ipv4.js';

export interface DnsTtls {
  /** Seconds for VIP answers (stable for the service's life). */
  service: number;
  /** Seconds for task addresses (tasks.<svc>, dnsrr services, task names, their PTRs). */
  task: number;
}

/** One name's answer on one network, before encoding. */
export interface NameDraft {
  nameClass: NameClass;
  addresses: string[];
  ttl: number;
}

/** Every name one network publishes, lowercased: forward names and reverse names (PTR targets). */
export interface NetworkNames {
  network: NetworkEndpoint;
  forward: Map<string, NameDraft>;
  reverse: Map<string, { target: string; ttl: number }>;
}

/**
 * The names of each network of the table (the ingress network publishes none). On one network a
 * name goes to the first that claims it, in this order: service names, `tasks.` names, network
 * aliases (as extra service names), task names; each also qualified with the network's name.
 */
export function networkNames(table: EndpointTable, ttls: DnsTtls): NetworkNames[] {
  const tasksByService = new Map<string, TaskEndpoint[]>();
  for (const t of table.tasks.filter((x) => !x.draining).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const list = tasksByService.get(t.serviceId) ?? [];
    list.push(t);
    tasksByService.set(t.serviceId, list);
  }
  return table.networks.filter((n) => !n.ingress).map((n) => namesOf(n, table.services, tasksByService, ttls));
}

function namesOf(network: NetworkEndpoint, services: ServiceEndpoint[], tasksByService: Map<string, TaskEndpoint[]>, ttls: DnsTtls): NetworkNames {
  const id = network.networkId;
  const forward = new Map<string, NameDraft>();
  const reverse = new Map<string, { target: string; ttl: number }>();
  const claim = (names: string[], draft: NameDraft): void => {
    for (const name of names) {
      const key = name.toLowerCase();
      if (!forward.has(key)) forward.set(key, draft);
    }
  };
  const withNetwork = (name: string): string[] => [name, `${name}.${network.name}`];
  const onNetwork = services.filter((s) => s.networks.includes(id) || s.vips[id]);
  const tasksOf = (s: ServiceEndpoint): { task: TaskEndpoint; addr: string }[] =>
    (tasksByService.get(s.serviceId) ?? []).flatMap((task) => (task.addresses[id] ? [{ task, addr: stripPrefix(task.addresses[id]) }] : []));
  const serviceDraft = (s: ServiceEndpoint): NameDraft => {
    const vip = s.vips[id];
    if (s.mode === 'vip') return { nameClass: 'service', addresses: vip ? [stripPrefix(vip)] : [], ttl: ttls.service };
    return { nameClass: 'service', addresses: tasksOf(s).map((t) => t.addr), ttl: ttls.task };
  };
  const tasksDraft = (s: ServiceEndpoint): NameDraft => ({ nameClass: 'tasks', addresses: tasksOf(s).map((t) => t.addr), ttl: ttls.task });

  for (const s of onNetwork) claim(withNetwork(s.name), serviceDraft(s));
  for (const s of onNetwork) claim(withNetwork(`tasks.${s.name}`), tasksDraft(s));
  for (const s of onNetwork) {
    for (const alias of s.aliases[id] ?? []) {
      claim(withNetwork(alias), serviceDraft(s));
      claim(withNetwork(`tasks.${alias}`), tasksDraft(s));
    }
  }
  for (const s of onNetwork) {
    const vip = s.vips[id];
    if (s.mode === 'vip' && vip) reverse.set(reverseName(stripPrefix(vip)), { target: `${s.name}.${network.name}`, ttl: ttls.service });
    for (const { task, addr } of tasksOf(s)) {
      claim(withNetwork(task.name), { nameClass: 'task', addresses: [addr], ttl: ttls.task });
      reverse.set(reverseName(addr), { target: `${task.name}.${network.name}`, ttl: ttls.task });
    }
  }
  return { network, forward, reverse };
}
