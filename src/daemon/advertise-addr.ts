import { exec } from '../util/exec.js';
import { invalidArgument } from '../util/errors.js';
import { networkInterfaces } from 'node:os';

/**
 * The address other hosts reach this one at: given explicitly (an address or an interface
 * name, as `docker swarm init --advertise-addr eth0` allows), or the source address of the
 * default route, or the only non-loopback address.
 */
export async function resolveAdvertiseAddr(given: string | undefined): Promise<string> {
  const ifaces = networkInterfaces();
  if (given) {
    const host = given.replace(/:\d+$/, '');
    const byName = ifaces[host]?.find((a) => a.family === 'IPv4');
    if (byName) return byName.address;
    if (/^\d+\.\d+\.\d+\.\d+$/.test(host)) return host;
    throw invalidArgument(`advertise address must be a non-zero IP address or network interface (with optional port number): "${given}" is neither`);
  }
  const route = await exec('ip', ['-4', 'route', 'get', '1.1.1.1'], { allowFail: true });
  const src = /\bsrc (\d+\.\d+\.\d+\.\d+)/.exec(route.stdout)?.[1];
  if (src) return src;
  const candidates = Object.values(ifaces).flatMap((l) => l ?? []).filter((a) => a.family === 'IPv4' && !a.internal);
  if (candidates.length === 1) return candidates[0].address;
  throw invalidArgument(
    candidates.length === 0
      ? 'could not choose an IP address to advertise since this system has no usable address; use --advertise-addr'
      : `could not choose an IP address to advertise since this system has multiple addresses (${candidates.map((c) => c.address).join(', ')}); use --advertise-addr`,
  );
}
