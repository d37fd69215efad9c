// Reading a PROXY protocol header back, as a task behind a published port with the option does.
import { V2_PROXY, V2_SIGNATURE, V2_TCP4, type Address, type ProxyProtocol } from '../../../src/mesh/proxy-protocol/header.js';

/** The client and entry a header names, and its length; undefined while `buf` holds too little of it; throws on anything but a PROXY TCP4 header. */
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
