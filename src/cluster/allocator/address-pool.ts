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

  constructor(subnet: string, gateway: string | undefined, ipRange?: string) {
    this.subnet = parseCidr(subnet);
    this.range = ipRange ? parseCidr(ipRange) : this.subnet;
    this.cursor = this.range.base;
    if (gateway) this.used.add(ipToInt(gateway));
  }

  get prefix(): number {
    return this.subnet.bits;
  }

  /** How many addresses tasks, VIPs and hosts can have. */
  get capacity(): number {
    return Math.max(0, cidrSize(this.range) - 2);
  }

  get inUse(): number {
    return this.used.size;
  }

  /** Forgets every reservation but keeps the cursor: for re-reading what the store holds. */
  clear(): void {
    this.used.clear();
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
