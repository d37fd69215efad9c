import { errorMessage, invalidArgument } from '../../util/errors.js';
import { parseCidr } from './ipv4.js';

/** The largest `--default-addr-pool-mask-length`: a /29 still leaves tasks a few addresses. */
const MAX_SUBNET_SIZE = 29;

/**
 * Docker's checks of `swarm init --default-addr-pool <cidr>... --default-addr-pool-mask-length <n>`
 * (0 or absent means 24): every pool a valid IPv4 CIDR, and the subnets cut from it no larger than it.
 */
export function validateDefaultAddrPool(pools: readonly string[] | undefined, subnetSize: number | undefined): void {
  const size = subnetSize || 24;
  if (size > MAX_SUBNET_SIZE) throw invalidArgument(`subnet size is out of range: ${size}`);
  for (const pool of pools ?? []) {
    let bits: number;
    try {
      bits = parseCidr(pool.trim()).bits;
    } catch (err) {
      throw invalidArgument(`invalid base pool ${pool}: ${errorMessage(err)}`);
    }
    if (size < bits) throw invalidArgument(`invalid CIDR: "${pool}". Subnet size is too small for pool: ${size}`);
  }
}
