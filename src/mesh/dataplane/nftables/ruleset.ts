import type { DataPlanePlan } from '../plan.js';
import { reslot } from './slots.js';

/**
 * Shoal's nftables table, as text in `nft -f` syntax (every interpolated value is a validated
 * address, port or generated name). One table per host:
 * - `published` (protocol . port → chain) is consulted for traffic to any local address, from
 *   outside (prerouting) and from the host itself (output, so 127.0.0.1:port works);
 * - `vips` (VIP . protocol → chain) first, so a VIP is never taken for a published port;
 * - each entry's chain DNATs to `numgen inc mod n` over its slot map (see slots.ts);
 * - ingress and VIP traffic is marked and masqueraded when it leaves on an overlay bridge, so
 *   replies come back through this host, which holds the conntrack entry (dataplane-lab §4, §5 C);
 * - for metrics and traces, each entry's connections are counted (`<chain>_conn`, and per backend in
 *   its slot map), and its connections carry its number as conntrack mark, by which the `acct_*`
 *   chains count their bytes each way and the resets of connections never established (refused).
 *   The rule's own counter is how many connections its `numgen inc` has balanced: the next one goes
 *   to slot (counter mod n) — what `shoal trace` reads;
 * - a backend's first refusal of a client's connection is dropped, so the client's SYN retransmit
 *   is balanced again (`retry_*` chains);
 * - a balanced TCP connection that was reset is forgotten at once (`tcp_flows` timeout policy);
 * - a published port with client-IP affinity (see affinityObjects) has a map `<chain>_aff` of client
 *   address → backend its chain DNATs by first, and its new connections record their backend in it.
 */
export const TABLE = 'shoal';
const T = `ip ${TABLE}`;
/** Packet mark bit of traffic to masquerade; one bit, OR-ed in, so other users' marks survive. */
export const MASQUERADE_MARK = 0x00100000;
const MARK = `0x${MASQUERADE_MARK.toString(16)}`;
/** Overlay bridges are shoal<vni> (src/mesh/overlay/names.ts). */
const BRIDGES = '"shoal*"';

/** What Shoal's table holds for one entry point (a chain and its slot map `<chain>_be`). */
export interface NftEntry {
  /** The DNAT rule the chain holds now ('' with no backends). */
  rule: string;
  /** Backend address by slot. */
  slots: string[];
  dispatch: 'published' | 'vips';
  /** Its keys in the dispatch map. */
  keys: string[];
  vip?: string;
  /** Its connections' conntrack mark (> 0), by which their bytes are counted. */
  mark: number;
  /** Client-IP affinity timeout in seconds, when its port has one (its `<chain>_aff` map and `<chain>_rec` chain exist). */
  affinity?: number;
}

/** The table's content by chain name, as the last successful transaction left it. */
export type NftState = ReadonlyMap<string, NftEntry>;

export interface NftTransaction {
  commands: string;
  next: NftState;
}

/** Per entry (by conntrack mark): bytes client → backend, backend → client, and connections refused. */
const ACCT = { tx: 'acct_orig', rx: 'acct_reply', refused: 'acct_refused' } as const;
/** The named counters of an entry's chain. */
export const entryCounters = (chain: string) => ({ conn: `${chain}_conn`, tx: `${chain}_tx`, rx: `${chain}_rx`, refused: `${chain}_refused` });

/** Counting chains on every path a balanced connection's packets take (forwarded; to and from the host itself). */
function accountingChains(): string[] {
  const rules = [
    `ct mark != 0 ct direction original counter name ct mark map @${ACCT.tx}`,
    `ct mark != 0 ct direction reply counter name ct mark map @${ACCT.rx}`,
    `ct mark != 0 ct direction reply ct status & assured == 0 tcp flags & rst == rst counter name ct mark map @${ACCT.refused}`,
  ];
  return ['forward', 'input', 'output'].flatMap((hook) => [`  chain acct_${hook} {`, `    type filter hook ${hook} priority 0; policy accept;`, ...rules.map((r) => `    ${r}`), '  }']);
}

/** How long a client's address and port are remembered as refused once (past its first SYN retransmits, 1 s and 3 s). */
const REFUSED_ONCE_TIMEOUT = '5s';

/**
 * A backend's refusal of a balanced connection (a reset before the handshake completed) is hidden
 * from the client once: dropped, so the client retransmits its SYN (1 s later), which conntrack
 * balances again as a new connection. A task that died (killed, crashed) refuses connections until
 * every host has applied a table without it; with this, those connections wait a second instead of
 * failing. A second refusal of the same client address and port reaches the client: a service whose
 * backends refuse still refuses, a second later. After the counting chains, so refusals are counted.
 */
function refusalRetryChains(): string[] {
  const refusal = 'ct mark != 0 ct direction reply ct status & assured == 0 tcp flags & rst == rst';
  return ['forward', 'input'].flatMap((hook) => [
    `  chain retry_${hook} {`,
    `    type filter hook ${hook} priority 10; policy accept;`,
    `    ${refusal} ip daddr . tcp dport @refused_once accept`,
    `    ${refusal} add @refused_once { ip daddr . tcp dport } drop`,
    '  }',
  ]);
}

/** The conntrack timeout policy of balanced TCP connections (see tcpTimeoutPolicy). */
const TCP_FLOWS = 'tcp_flows';

/**
 * Balanced TCP connections keep the system's timeouts but one: a connection reset (conntrack's
 * CLOSE) is forgotten at once instead of after 10 s. Conntrack reopens a CLOSE entry for a new SYN
 * from the same client address and port with its old DNAT, unless the client sent the reset: when a
 * crashed task resets the connections its kernel had accepted, a client port freed by that reset
 * and picked again (clients reuse freed ports first once short of free ones) went to the dead task
 * and was refused at once, an established connection's refusal that the retry chains do not hide.
 * Deleting those entries from userspace (conntrack.ts) came too late: its dumps take seconds once
 * the table holds tens of thousands of connections in TIME_WAIT.
 */
function tcpTimeoutPolicy(): string[] {
  return [`  ct timeout ${TCP_FLOWS} {`, '    protocol tcp;', '    l3proto ip;', '    policy = { close: 0 }', '  }'];
}

/** The fixed part: dispatch maps, the VIP set, the base chains hooked into NAT, the counting chains and the refusal retry. */
export function baseTable(): string {
  const dispatch = ['ip daddr . meta l4proto vmap @vips', 'ip daddr @vip_addrs return', 'fib daddr type local meta l4proto . th dport vmap @published'];
  return [
    `table ${T} {`,
    '  set vip_addrs { type ipv4_addr; }',
    '  map published { type inet_proto . inet_service : verdict; }',
    '  map vips { type ipv4_addr . inet_proto : verdict; }',
    ...Object.values(ACCT).map((m) => `  map ${m} { type mark : counter; }`),
    ...accountingChains(),
    ...tcpTimeoutPolicy(),
    `  set refused_once { type ipv4_addr . inet_service; flags dynamic, timeout; timeout ${REFUSED_ONCE_TIMEOUT}; }`,
    ...refusalRetryChains(),
    `  map ${AFFINITY} { type mark : verdict; }`,
    // After DNAT (prerouting, output): the new connection's destination is its backend.
    `  chain ${AFFINITY}_record {`,
    '    type filter hook postrouting priority 0; policy accept;',
    `    ct state new ct mark vmap @${AFFINITY}`,
    '  }',
    '  chain prerouting {',
    '    type nat hook prerouting priority -100; policy accept;',
    ...dispatch.map((r) => `    ${r}`),
    '  }',
    // The output hook takes no symbolic priority in nft 1.0.6 (dataplane-lab §9.7).
    '  chain output {',
    '    type nat hook output priority -100; policy accept;',
    ...dispatch.map((r) => `    ${r}`),
    '  }',
    '  chain postrouting {',
    '    type nat hook postrouting priority 100; policy accept;',
    // No random port mapping: masquerade keeps the client's source port when it is free, so the
    // client's own TIME_WAIT rules keep tuples apart. `random`/`fully-random` made new connections
    // land on the backend's TIME_WAIT sockets, which drop their SYNs (PAWS): 1 s stalls (lab, bench).
    `    meta mark & ${MARK} == ${MARK} oifname ${BRIDGES} masquerade`,
    `    ip saddr 127.0.0.0/8 oifname ${BRIDGES} masquerade`,
    '  }',
    // route_localnet=1 (for 127.0.0.1:port) would otherwise let other machines reach 127.0.0.0/8 here.
    '  chain martians {',
    '    type filter hook prerouting priority -300; policy accept;',
    '    iif != "lo" ip daddr 127.0.0.0/8 drop',
    '  }',
    '}',
  ].join('\n');
}

/** Entry marks → the `<chain>_rec` chain that records a new connection's backend in the entry's affinity map. */
const AFFINITY = 'affinity';

/**
 * A published port's client-IP affinity: map `<chain>_aff` (client address → backend address,
 * entries expire `seconds` after they were last written) and chain `<chain>_rec`, reached from the
 * postrouting hook by the entry's conntrack mark for a new connection, which (re)writes its client's
 * entry with the backend it was DNATed to. The entry's chain DNATs by the map first and balances
 * only clients not in it. Only new connections write: a connection kept open to a backend that left
 * does not bring it back into the map, which is flushed when a backend leaves.
 */
function affinityObjects(chain: string, mark: number, seconds: number): string[] {
  return [
    `add map ${T} ${chain}_aff { type ipv4_addr : ipv4_addr; flags dynamic, timeout; timeout ${seconds}s; }`,
    `add chain ${T} ${chain}_rec`,
    `add rule ${T} ${chain}_rec update @${chain}_aff { ip saddr : ip daddr }`,
    `add element ${T} ${AFFINITY} { ${mark} : goto ${chain}_rec }`,
  ];
}

/** Removes what affinityObjects made (the entry's chain, which looks its map up, must be flushed first). */
const dropAffinity = (chain: string, mark: number): string[] => [
  `delete element ${T} ${AFFINITY} { ${mark} }`,
  `flush chain ${T} ${chain}_rec`,
  `delete chain ${T} ${chain}_rec`,
  `delete map ${T} ${chain}_aff`,
];

interface Wanted {
  chain: string;
  entry: Omit<NftEntry, 'slots' | 'mark'>;
  backends: string[];
  rule: (n: number, mark: number) => string;
}

/**
 * What every entry's rule does first: count the connection (in total and for `numgen`'s position),
 * mark it as the entry's and, TCP (`tcp`; a VIP's rule takes both protocols, and a TCP policy
 * leaves a UDP flow alone), give it the TCP timeout policy.
 */
const counted = (chain: string, mark: number, masquerade: boolean, tcp: boolean, balanced = true): string =>
  [
    `counter name "${entryCounters(chain).conn}" ct mark set ${mark}`,
    ...(tcp ? [`ct timeout set "${TCP_FLOWS}"`] : []),
    ...(masquerade ? [`meta mark set meta mark | ${MARK}`] : []),
    ...(balanced ? ['counter'] : []),
  ].join(' ');

/** The chain of a published port, and of a VIP. */
export const portChain = (p: { protocol: string; port: number }): string => `port_${p.protocol}_${p.port}`;
export const vipChain = (vip: string): string => `vip_${vip.replaceAll('.', '_')}`;

function wanted(plan: DataPlanePlan): Wanted[] {
  const out: Wanted[] = [];
  for (const p of plan.ports) {
    const chain = portChain(p);
    // Host-mode ports go to a local task, whose replies pass this host anyway: the client's address is kept.
    const count = (mark: number, balanced: boolean) => counted(chain, mark, p.mode === 'ingress', p.protocol === 'tcp', balanced);
    const balance = (n: number, mark: number) => `meta l4proto ${p.protocol} ${count(mark, true)} dnat ip to numgen inc mod ${n} map @${chain}_be : ${p.targetPort}`;
    // With affinity, a known client goes to its backend first (its connection is not counted by `numgen`'s counter).
    const sticky = (mark: number) => `meta l4proto ${p.protocol} ip saddr @${chain}_aff ${count(mark, false)} dnat ip to ip saddr map @${chain}_aff : ${p.targetPort}\n`;
    const rule = (n: number, mark: number) => (n === 0 ? '' : `${p.affinity ? sticky(mark) : ''}${balance(n, mark)}`);
    const entry = { rule: '', dispatch: 'published' as const, keys: [`${p.protocol} . ${p.port}`], ...(p.affinity ? { affinity: p.affinity } : {}) };
    out.push({ chain, entry, backends: p.backends.map((b) => b.address), rule });
  }
  for (const v of plan.vips) {
    const chain = vipChain(v.vip);
    const rule = (n: number, mark: number) => (n === 0 ? '' : `${counted(chain, mark, true, true)} dnat ip to numgen inc mod ${n} map @${chain}_be`);
    out.push({ chain, entry: { rule: '', dispatch: 'vips', keys: [`${v.vip} . tcp`, `${v.vip} . udp`], vip: v.vip }, backends: v.backends.map((b) => b.address), rule });
  }
  return out;
}

const elements = (pairs: readonly [number, string][]): string => pairs.map(([slot, addr]) => `${slot} : ${addr}`).join(', ');

/** The commands that turn table content `state` into `plan`, touching only what differs; one transaction. */
export function nftUpdate(state: NftState, plan: DataPlanePlan): NftTransaction {
  const cmds: string[] = [];
  const next = new Map<string, NftEntry>();
  const want = wanted(plan);
  const keep = new Set(want.map((w) => w.chain));
  let lastMark = Math.max(0, ...[...state.values()].map((e) => e.mark));
  for (const [chain, e] of state) {
    if (keep.has(chain)) continue;
    cmds.push(`delete element ${T} ${e.dispatch} { ${e.keys.join(', ')} }`);
    if (e.vip) cmds.push(`delete element ${T} vip_addrs { ${e.vip} }`);
    for (const m of Object.values(ACCT)) cmds.push(`delete element ${T} ${m} { ${e.mark} }`);
    cmds.push(`flush chain ${T} ${chain}`, `delete chain ${T} ${chain}`, `delete map ${T} ${chain}_be`);
    for (const c of Object.values(entryCounters(chain))) cmds.push(`delete counter ${T} ${c}`);
    if (e.affinity) cmds.push(...dropAffinity(chain, e.mark));
  }
  for (const w of want) {
    const old = state.get(w.chain);
    const { slots, deleted, added } = reslot(old?.slots ?? [], [...new Set(w.backends)]);
    const mark = old?.mark ?? ++lastMark;
    const rule = w.rule(slots.length, mark);
    if (!old) {
      const c = entryCounters(w.chain);
      cmds.push(...Object.values(c).map((name) => `add counter ${T} ${name}`));
      cmds.push(`add element ${T} ${ACCT.tx} { ${mark} : "${c.tx}" }`, `add element ${T} ${ACCT.rx} { ${mark} : "${c.rx}" }`, `add element ${T} ${ACCT.refused} { ${mark} : "${c.refused}" }`);
      cmds.push(`add map ${T} ${w.chain}_be { typeof numgen inc mod 1 : ip daddr; counter; }`, `add chain ${T} ${w.chain}`);
    }
    if (deleted.length > 0) cmds.push(`delete element ${T} ${w.chain}_be { ${deleted.join(', ')} }`);
    if (added.length > 0) cmds.push(`add element ${T} ${w.chain}_be { ${elements(added)} }`);
    const affinityChanged = old?.affinity !== w.entry.affinity;
    const ruleChanged = !old || old.rule !== rule || affinityChanged;
    if (old && ruleChanged) cmds.push(`flush chain ${T} ${w.chain}`);
    if (affinityChanged) {
      if (old?.affinity) cmds.push(...dropAffinity(w.chain, mark));
      if (w.entry.affinity) cmds.push(...affinityObjects(w.chain, mark, w.entry.affinity));
    } else if (w.entry.affinity && old!.slots.some((a) => !slots.includes(a))) {
      // A backend left: no client may be sent to it by the map (all clients are balanced anew).
      cmds.push(`flush map ${T} ${w.chain}_aff`);
    }
    if (rule && ruleChanged) for (const r of rule.split('\n')) cmds.push(`add rule ${T} ${w.chain} ${r}`);
    if (!old) {
      if (w.entry.vip) cmds.push(`add element ${T} vip_addrs { ${w.entry.vip} }`);
      cmds.push(`add element ${T} ${w.entry.dispatch} { ${w.entry.keys.map((k) => `${k} : goto ${w.chain}`).join(', ')} }`);
    }
    next.set(w.chain, { ...w.entry, rule, slots, mark });
  }
  return { commands: cmds.length ? cmds.join('\n') + '\n' : '', next };
}

/** Replaces whatever table is there (a previous run's, or one damaged by hand) with `plan`, in one transaction. */
export function nftReplace(plan: DataPlanePlan): NftTransaction {
  const { commands, next } = nftUpdate(new Map(), plan);
  return { commands: `table ${T}\ndelete table ${T}\n${baseTable()}\n${commands}`, next };
}

/** Removes the table. */
export const nftDelete = (): string => `table ${T}\ndelete table ${T}\n`;

/** A table with every kind of rule Shoal uses, for checking that this kernel and nft accept them. */
export function probeRuleset(): string {
  const probe: DataPlanePlan = {
    version: 0,
    ports: [
      { protocol: 'tcp', port: 1, targetPort: 1, mode: 'ingress', serviceId: 'probe', service: 'probe', backends: [{ taskId: 'p', address: '192.0.2.1' }] },
      { protocol: 'udp', port: 1, targetPort: 1, mode: 'ingress', serviceId: 'probe', service: 'probe', backends: [{ taskId: 'p', address: '192.0.2.1' }], affinity: 60 },
    ],
    vips: [{ vip: '192.0.2.2', networkId: 'probe', serviceId: 'probe', service: 'probe', ports: [], backends: [{ taskId: 'p', address: '192.0.2.1' }] }],
    draining: [],
  };
  return nftReplace(probe).commands;
}
