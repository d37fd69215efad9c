import type { TaskNetworkAttachment } from '../types.js';

/** The resolvers Docker falls back to when the host has none a task can reach. */
const FALLBACK_NAMESERVERS = ['8.8.8.8', '8.8.4.4'];

/** The task's /etc/hosts, as Docker writes it: loopback names, then the task's addresses under its hostname. */
export function hostsFile(hostname: string, networks: readonly TaskNetworkAttachment[]): string {
  const lines = [
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'fe00::0\tip6-localnet',
    'ff00::0\tip6-mcastprefix',
    'ff02::1\tip6-allnodes',
    'ff02::2\tip6-allrouters',
    ...networks.map((n) => `${n.address.split('/')[0]}\t${hostname}`),
  ];
  return `${lines.join('\n')}\n`;
}

const isLoopback = (ip: string): boolean => ip.startsWith('127.') || ip === '::1';

/**
 * The task's /etc/resolv.conf from the host's: the embedded DNS server when there is one (with
 * `ndots:0`, as Docker does for its embedded DNS), else the host's nameservers less loopback ones,
 * which would point at the task itself. Search domains and other options are kept.
 */
export function resolvConf(hostResolvConf: string, dnsServer?: string): string {
  const nameservers: string[] = [];
  const search: string[] = [];
  const options: string[] = [];
  for (const raw of hostResolvConf.split('\n')) {
    const [key, ...values] = raw.trim().split(/\s+/);
    if (key === 'nameserver' && values[0]) nameservers.push(values[0]);
    else if (key === 'search' || key === 'domain') search.push(raw.trim());
    else if (key === 'options') options.push(...values);
  }
  let servers = nameservers.filter((ip) => !isLoopback(ip));
  if (dnsServer) {
    servers = [dnsServer];
    options.splice(0, options.length, ...options.filter((o) => !o.startsWith('ndots:')), 'ndots:0');
  } else if (servers.length === 0) {
    servers = FALLBACK_NAMESERVERS;
  }
  const lines = [...search, ...servers.map((s) => `nameserver ${s}`), ...(options.length ? [`options ${options.join(' ')}`] : [])];
  return `${lines.join('\n')}\n`;
}
