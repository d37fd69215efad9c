import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';

export interface Upstream {
  host: string;
  port: number;
}

/** What Shoal reads from a resolv.conf: resolvers, search domains, options (kept as written). */
export interface ResolvConf {
  nameservers: string[];
  search: string[];
  options: string[];
}

/** Parses resolv.conf text; the last `search`/`domain` line wins, as in glibc. */
export function parseResolvConf(text: string): ResolvConf {
  const conf: ResolvConf = { nameservers: [], search: [], options: [] };
  for (const raw of text.split('\n')) {
    const [key, ...args] = raw.replace(/[#;].*/, '').trim().split(/\s+/);
    if (key === 'nameserver' && args[0]) {
      const host = args[0].replace(/%.*$/, ''); // an IPv6 zone is not usable from here
      if (isIP(host)) conf.nameservers.push(host);
    } else if (key === 'search' || key === 'domain') conf.search = args;
    else if (key === 'options') conf.options.push(...args);
  }
  return conf;
}

export function readResolvConf(path = '/etc/resolv.conf'): ResolvConf {
  try {
    return parseResolvConf(readFileSync(path, 'utf8'));
  } catch {
    return { nameservers: [], search: [], options: [] };
  }
}

/**
 * The resolvers to forward to: the host's nameservers on port 53 (glibc's 127.0.0.1 when there
 * are none), without the server's own listening addresses, which would forward to themselves.
 */
export function upstreamsOf(conf: ResolvConf, own: readonly string[]): Upstream[] {
  const hosts = conf.nameservers.length ? conf.nameservers : ['127.0.0.1'];
  return hosts.filter((h) => !own.includes(h)).map((host) => ({ host, port: 53 }));
}

