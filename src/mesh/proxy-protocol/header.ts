// The PROXY protocol header (haproxy's proxy-protocol.txt) a published port with the option sends a
// backend before the client's bytes, so the task sees the client's address: TCP over IPv4 only.

/** PROXY protocol versions a published port may send: v1 is text, v2 binary. */
export type ProxyProtocol = 'v1' | 'v2';

export const PROXY_PROTOCOLS: readonly ProxyProtocol[] = ['v1', 'v2'];

/** The v2 signature: \r\n\r\n\0\r\nQUIT\n. */
const V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
/** Version 2, command PROXY. */
const V2_PROXY = 0x21;
/** AF_INET, STREAM. */
const V2_TCP4 = 0x11;
/** Two IPv4 addresses and two ports. */
const V2_TCP4_LENGTH = 12;

/** One end of a connection: an IPv4 address and a port. */
export interface Address {
  ip: string;
  port: number;
}

/** The header telling a backend that `client` connected to `entry` (the address and port it reached this host at). */
export function proxyHeader(version: ProxyProtocol, client: Address, entry: Address): Buffer {
  if (version === 'v1') return Buffer.from(`PROXY TCP4 ${client.ip} ${entry.ip} ${client.port} ${entry.port}\r\n`, 'latin1');
  const b = Buffer.alloc(V2_SIGNATURE.length + 4 + V2_TCP4_LENGTH);
  V2_SIGNATURE.copy(b, 0);
  let at = V2_SIGNATURE.length;
  b[at++] = V2_PROXY;
  b[at++] = V2_TCP4;
  at = b.writeUInt16BE(V2_TCP4_LENGTH, at);
  for (const ip of [client.ip, entry.ip]) for (const octet of ip.split('.')) b[at++] = Number(octet);
  at = b.writeUInt16BE(client.port, at);
  b.writeUInt16BE(entry.port, at);
  return b;
}

/** A header read back (what a task does): the client and entry it names, and its length; undefined while `buf` holds too little of it; throws on anything but a PROXY TCP4 header. */
export function parseProxyHeader(buf: Buffer): { version: ProxyProtocol; client: Address; entry: Address; length: number } | undefined {
  if (buf.length >= V2_SIGNATURE.length && buf.subarray(0, V2_SIGNATURE.length).equals(V2_SIGNATURE)) {
    const at = V2_SIGNATURE.length;
    if (buf.length < at + 4) return undefined;
    if (buf[at] !== V2_PROXY || buf[at + 1] !== V2_TCP4) throw new Error(`PROXY v2 header for something other than TCP over IPv4: ${buf.subarray(at, at + 2).toString('hex')}`);
    const length = at + 4 + buf.readUInt16BE(at + 2);
    if (buf.length < length) return undefined;
    const a = at + 4;
    const ip = (i: number) => [...buf.subarray(i, i + 4)].join('.');
    return { version: 'v2', client: { ip: ip(a), port: buf.readUInt16BE(a + 8) }, entry: { ip: ip(a + 4), port: buf.readUInt16BE(a + 10) }, length };
  }
  const end = buf.indexOf('\r\n');
  if (end < 0) {
    if (buf.length >= V2_SIGNATURE.length && !buf.subarray(0, 6).equals(Buffer.from('PROXY '))) throw new Error(`no PROXY header: ${JSON.stringify(buf.subarray(0, 16).toString('latin1'))}`);
    return undefined;
  }
  const m = /^PROXY TCP4 (\S+) (\S+) (\d+) (\d+)$/.exec(buf.subarray(0, end).toString('latin1'));
  if (!m) throw new Error(`no PROXY TCP4 header: ${JSON.stringify(buf.subarray(0, end).toString('latin1'))}`);
  return { version: 'v1', client: { ip: m[1]!, port: Number(m[3]) }, entry: { ip: m[2]!, port: Number(m[4]) }, length: end + 2 };
}
