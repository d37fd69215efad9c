// A task's server for the splice tests, run inside a task namespace: `node transfer-server.js <port>`.
// Each connection starts with a line naming what the server does with it, then everything after the
// line is echoed back:
//   echo           until the client half-closes, then the server ends too
//   fin <bytes>    ends its side after echoing <bytes>, and reads on until the client ends
//   rst <bytes>    resets the connection after echoing <bytes>
// Prints `reset` when a client resets its connection, `closed <echoed bytes>` when one ends.
import { createServer } from 'node:net';

const port = Number(process.argv[2]);
if (!port) throw new Error('usage: transfer-server <port>');

createServer({ allowHalfOpen: true }, (sock) => {
  let head = '';
  let mode: string | undefined;
  let limit = Infinity;
  let echoed = 0;
  sock.on('error', (err: NodeJS.ErrnoException) => console.log(err.code === 'ECONNRESET' ? 'reset' : `error ${err.code}`));
  sock.on('close', () => console.log(`closed ${echoed}`));
  const echo = (d: Buffer) => {
    if (sock.writableEnded) return;
    const part = d.subarray(0, Math.max(0, limit - echoed));
    echoed += part.length;
    if (part.length > 0 && !sock.write(part)) sock.pause();
    if (echoed < limit) return;
    if (mode === 'rst') return void sock.resetAndDestroy();
    sock.end();
    sock.resume(); // reads on to the client's end ('drain' is not emitted once ending)
  };
  sock.on('drain', () => sock.resume());
  sock.on('data', (d: Buffer) => {
    if (mode !== undefined) return echo(d);
    head += d.toString('latin1');
    const nl = head.indexOf('\n');
    if (nl < 0) return;
    const [m, n] = head.slice(0, nl).split(' ');
    mode = m;
    if (n) limit = Number(n);
    echo(Buffer.from(head.slice(nl + 1), 'latin1'));
  });
  sock.on('end', () => sock.end());
}).listen(port, '0.0.0.0', () => console.log('ready'));
