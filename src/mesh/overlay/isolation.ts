import { bridgeName } from './names.js';

/**
 * Shoal's network isolation table (the mesh's NAT rules are in table `ip shoal`, another owner).
 * With an address on every overlay bridge and forwarding on, the host would route between its
 * networks; this forward chain stops that:
 * - replies of accepted connections pass; traffic within one bridge passes (br_netfilter shows
 *   bridged frames to the forward hook with the bridge as both interfaces);
 * - `--internal` networks: nothing leaves their bridge for another interface, nothing enters it;
 * - traffic from an overlay bridge to any overlay subnet of the cluster (local or not) or to another
 *   overlay bridge is dropped — except the routing mesh: connections a task opens to a published
 *   port, which the mesh DNATs to a task on the ingress network.
 * Replaced whole in one transaction when this host's networks change.
 */
export const ISOLATION_TABLE = 'shoal-isolation';
const T = `inet ${ISOLATION_TABLE}`;
const ALL_BRIDGES = '"shoal*"';

/** Creating the table first makes deleting it succeed whether it existed or not. */
const RESET = [`table ${T}`, `delete table ${T}`];

const quoted = (names: string[]): string => names.map((n) => `"${n}"`).join(', ');

/** What the isolation table is made from. */
export interface IsolationInput {
  /** Networks with a bridge on this host. */
  vnis: number[];
  /** Those that are `--internal`. */
  internal: number[];
  /** The ingress network, if it has a bridge here. */
  ingress: number | undefined;
  /** Every overlay subnet of the cluster. */
  subnets: string[];
}

/** `nft -f` text that (re)creates the table. */
export function isolationRuleset({ vnis, internal: internalVnis, ingress, subnets }: IsolationInput): string {
  const bridges = [...vnis].sort((a, b) => a - b).map(bridgeName);
  const internal = [...internalVnis].sort((a, b) => a - b).map(bridgeName);
  const rules = [
    'ct state established,related accept',
    ...(bridges.length ? [`iifname . oifname { ${bridges.map((b) => `"${b}" . "${b}"`).join(', ')} } accept`] : []),
    ...(internal.length ? [`iifname { ${quoted(internal)} } drop`, `oifname { ${quoted(internal)} } drop`] : []),
    ...(ingress !== undefined ? [`iifname ${ALL_BRIDGES} oifname "${bridgeName(ingress)}" ct status dnat accept`] : []),
    ...(subnets.length ? [`iifname ${ALL_BRIDGES} ip daddr @overlay_subnets drop`] : []),
    `iifname ${ALL_BRIDGES} oifname ${ALL_BRIDGES} drop`,
  ];
  return [
    ...RESET,
    `table ${T} {`,
    ...(subnets.length ? [`  set overlay_subnets { type ipv4_addr; flags interval; auto-merge; elements = { ${[...subnets].sort().join(', ')} } }`] : []),
    '  chain forward {',
    '    type filter hook forward priority filter; policy accept;',
    ...rules.map((r) => `    ${r}`),
    '  }',
    '}',
    '',
  ].join('\n');
}

/** `nft -f` text that removes the table, whether it exists or not. */
export const removeIsolationRuleset = (): string => `${RESET.join('\n')}\n`;
