import { contains, cidrSize, intToIp, ipToInt, parseCidr, type Cidr } from './ipv4.js';

/**
 * The addresses of one network's subnet. Allocation is serial: it goes on from the last address
 * handed out, so an address freed a moment ago is not given to the next task at once (a client
 * still holding it would reach the wrong task).
 */
export class AddressPool {
  readonly subnet: Cidr;
  private readonly range: Cidr;
  private readonly used = new Set<number>();
  private cursor: number;
  /** The gateway and auxiliary addresses: never handed out. */
  private readonly fixed: number[];

  constructor(subnet: string, gateway: string | undefined, ipRange?: string, auxiliary: readonly string[] = []) {
    this.subnet = parseCidr(subnet);
    this.range = ipRange ? parseCidr(ipRange) : this.subnet;
    this.cursor = this.range.base;
    this.fixed = [...(gateway ? [gateway] : []), ...auxiliary].map((a) => ipToInt(a.split('/')[0]!));
    this.clear();
  }

  get prefix(): number {
    return this.subnet.bits;
  }

  /** How many addresses the range holds for tasks, VIPs, hosts and the gateway (the subnet's network and broadcast addresses excluded). */
  get capacity(): number {
    const last = this.subnet.base + cidrSize(this.subnet) - 1;
    return cidrSize(this.range) - [this.subnet.base, last].filter((ip) => contains(this.range, ip)).length;
  }

  /** How many of those are taken. */
  get inUse(): number {
    let n = 0;
    for (const ip of this.used) if (contains(this.range, ip)) n++;
    return n;
  }

  /** Forgets every reservation but the fixed ones and keeps the cursor: for re-reading what the store holds. */
  clear(): void {
    this.used.clear();
    for (const ip of this.fixed) this.used.add(ip);
  }

  /** Marks an address as taken (one found in the store); "a.b.c.d" or "a.b.c.d/nn". */
  reserve(address: string): void {
    const ip = ipToInt(address.split('/')[0]);
    if (contains(this.subnet, ip)) this.used.add(ip);
  }

  /**
   * Moves the cursor to the highest address in use: a pool rebuilt after a restart then goes on
   * from where allocation left off instead of handing out addresses freed moments ago.
   */
  resumeAfterHighest(): void {
    for (const ip of this.used) if (contains(this.range, ip) && ip > this.cursor) this.cursor = ip;
  }

  /** Moves the cursor to the address handed out last (found in the store), so allocation goes on after it. */
  resumeAfter(address: string): void {
    const ip = ipToInt(address.split('/')[0]!);
    if (contains(this.range, ip)) this.cursor = ip;
  }

  release(address: string): void {
    this.used.delete(ipToInt(address.split('/')[0]));
  }

  /** The next free address after the last one given, as "a.b.c.d/nn", or undefined when full. */
  allocate(): string | undefined {
    const size = cidrSize(this.range);
    const first = this.range.base;
    for (let i = 0; i < size; i++) {
      this.cursor = this.cursor + 1 >= first + size ? first : this.cursor + 1;
      const ip = this.cursor;
      const offset = ip - this.subnet.base;
      if (offset === 0 || offset === cidrSize(this.subnet) - 1) continue; // network and broadcast
      if (this.used.has(ip)) continue;
      this.used.add(ip);
      return `${intToIp(ip)}/${this.subnet.bits}`;
    }
    return undefined;
  }
}
