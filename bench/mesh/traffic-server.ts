// The backend task of the mesh bench: `node traffic-server.js <http port> <bulk port>`, run in a task namespace.
// <http port>: a minimal HTTP/1.1 responder (fixed answer per request; `Connection: close` requests are
// answered and the connection closed by the server, as HTTP servers do). <bulk port>: streams data
// to every connection as fast as it is read.
import { createServer } from 'node:net';
import { CLOSE_MARK, REQUEST_END, RESPONSE } from './traffic-protocol.js';

const [httpPort, bulkPort] = process.argv.slice(2).map(Number);
if (!httpPort || !bulkPort) throw new Error('usage: traffic-server <http port> <bulk port>');

createServer({ noDelay: true }, (sock) => {
  sock.on('error', () => sock.destroy());
  let tail = '';
  sock.on('data', (d) => {
    const text = tail + d.toString('latin1');
    let at = 0;
    let i;
    while ((i = text.indexOf(REQUEST_END, at)) >= 0) {
      const close = text.lastIndexOf(CLOSE_MARK, i) >= at;
      at = i + REQUEST_END.length;
      if (close) {
        sock.end(RESPONSE);
        return;
      }
      sock.write(RESPONSE);
    }
    tail = text.slice(at);
  });
}).listen(httpPort, '0.0.0.0');

const chunk = Buffer.alloc(256 * 1024, 'x');
createServer((sock) => {
  sock.on('error', () => sock.destroy());
  const pump = () => {
    while (!sock.destroyed && sock.write(chunk));
  };
  sock.on('drain', pump);
  pump();
}).listen(bulkPort, '0.0.0.0', () => console.log('ready'));
