// The PROXY protocol header (haproxy's proxy-protocol.txt) a published port with the option sends a
// backend before the client's bytes, so the task sees the client's address: TCP over IPv4 only.

/** PROXY protocol versions a published port may send: v1 is text, v2 binary. */
export type ProxyProtocol = 'v1' | 'v2';

/** The v2 signature: \r\n\r\n\0\r\nQUIT\n. */
export const V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
/** Version 2, command PROXY. */
export const V2_PROXY = 0x21;
/** AF_INET, STREAM. */
export const V2_TCP4 = 0x11;
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
