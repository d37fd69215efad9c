// A task's server for mesh tests, run inside a task namespace:
//   node task-server.js <name> <tcp ports, comma-separated> <udp ports, comma-separated> [mute|hangup]
// TCP: says "<name>\n" on connect, then answers each line with "<name> <line>\n" (a long-lived
// connection shows which task it stays on). UDP: answers every datagram with "<name>".
// `mute`: accepts TCP connections and never says anything (a task whose host just died).
// `hangup`: closes each TCP connection at once, without a word (a task killed as it accepted).
// `request`: says nothing until a line arrives, then "<name>\n" and its end (`read l; hostname`).
// `proxy`: says nothing until a line arrives, then "<name> <v1|v2> <client ip:port> <entry ip:port> <line>\n"
// from the PROXY protocol header before it, or "<name> none <line>\n" when none came, and its end.
import { createServer, type Socket } from 'node:net';
import { createSocket } from 'node:dgram';
import { parseProxyHeader } from './proxy-header.js';

const [name, tcp = '', udp = '', mode] = process.argv.slice(2);
if (!name) throw new Error('usage: task-server <name> <tcp ports> <udp ports>');
const ports = (s: string) => s.split(',').filter(Boolean).map(Number);

let listening = 0;
const total = ports(tcp).length + ports(udp).length;
const ready = () => {
  if (++listening === total) console.log(`ready ${name}`);
};

for (const port of ports(tcp)) {
  createServer((sock) => {
    sock.setNoDelay(true);
    sock.on('error', () => sock.destroy());
    if (mode === 'mute') return;
    if (mode === 'hangup') return void sock.end();
    if (mode === 'proxy') return void answerProxied(sock);
    if (mode === 'request') return void sock.on('data', (d) => d.includes('\n') && sock.end(`${name}\n`));
    sock.write(`${name}\n`);
    let buf = '';
    sock.on('data', (d) => {
      buf += d.toString();
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        sock.write(`${name} ${buf.slice(0, i)}\n`);
        buf = buf.slice(i + 1);
      }
    });
    sock.on('end', () => sock.end());
  }).listen(port, '0.0.0.0', ready);
}
for (const port of ports(udp)) {
  const s = createSocket('udp4');
  s.on('message', (_msg, r) => s.send(name, r.port, r.address));
  s.bind(port, '0.0.0.0', ready);
}

/** Reads the PROXY protocol header, if any, and the line after it; tells what the header said. */
function answerProxied(sock: Socket): void {
  let buf = Buffer.alloc(0);
  sock.on('data', (d) => {
    buf = Buffer.concat([buf, d]);
    let header: ReturnType<typeof parseProxyHeader>;
    try {
      header = parseProxyHeader(buf);
      if (!header) return; // the header is not whole yet
    } catch {
      header = undefined; // none: the client's line came first
    }
    const line = buf.subarray(header?.length ?? 0);
    if (!line.includes('\n')) return;
    const said = header ? `${header.version} ${header.client.ip}:${header.client.port} ${header.entry.ip}:${header.entry.port}` : 'none';
    sock.end(`${name} ${said} ${line.toString().trimEnd()}\n`);
  });
}
