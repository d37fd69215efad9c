// The client of the splice tests: `node transfer-client.js '<json TransferRequest>'`, run in the lab
// namespace. Sends `bytes` of a pattern after the server's mode line, checks that what comes back is
// the same bytes in order, and prints a TransferResult when the connection is over.
import { createHash } from 'node:crypto';
import { connect } from 'node:net';

export interface TransferRequest {
  host: string;
  port: number;
  /** The server's mode line (see transfer-server.ts): `echo`, `fin <n>`, `rst <n>`. */
  mode: string;
  bytes: number;
  /** Reset the connection once this many bytes came back. */
  resetAfter?: number;
  /** Stop sending for `ms` once `atBytes` are sent (printing `paused`), e.g. to look at the proxy meanwhile. */
  pause?: { atBytes: number; ms: number };
}

export interface TransferResult {
  sent: number;
  received: number;
  /** What came back is a prefix of what was sent, byte for byte. */
  samePrefix: boolean;
  /** How the server's side ended: `end` (a FIN), `reset`, or an error code; `client-reset` when the client cut it. */
  ended: string;
}

const req = JSON.parse(process.argv[2]!) as TransferRequest;
const block = Buffer.alloc(1 << 16);
for (let i = 0; i < block.length; i++) block[i] = (i * 7 + (i >> 8)) & 255;
const gotHash = createHash('sha256');
let sent = 0;
let received = 0;
let ended = '';

const sock = connect({ host: req.host, port: req.port, allowHalfOpen: true });
let paused = false;
const pump = () => {
  while (sent < req.bytes && !sock.destroyed) {
    if (req.pause && !paused && sent >= req.pause.atBytes) {
      paused = true;
      console.log('paused');
      return void setTimeout(pump, req.pause.ms);
    }
    const part = block.subarray(0, Math.min(block.length, req.bytes - sent));
    sent += part.length;
    if (!sock.write(part)) return void sock.once('drain', pump);
  }
  if (!sock.destroyed) sock.end();
};
sock.once('connect', () => {
  sock.write(`${req.mode}\n`);
  pump();
});
sock.on('data', (d: Buffer) => {
  received += d.length;
  gotHash.update(d);
  if (req.resetAfter !== undefined && received >= req.resetAfter && !ended) {
    ended = 'client-reset';
    sock.resetAndDestroy();
  }
});
sock.on('end', () => {
  ended ||= 'end';
});
sock.on('error', (err: NodeJS.ErrnoException) => {
  // A write after the reset arrived fails with EPIPE instead. That write takes the socket's error, so a
  // read after it sees an end: the 'end' then came from the reset, and the error says so.
  const reset = err.code === 'ECONNRESET' || err.code === 'EPIPE';
  if (reset && (!ended || ended === 'end')) ended = 'reset';
  else ended ||= err.code ?? err.message;
});
sock.on('close', () => {
  // The bytes that came back against the same count of the pattern.
  const prefix = createHash('sha256');
  for (let at = 0; at < received; at += block.length) prefix.update(block.subarray(0, Math.min(block.length, received - at)));
  const result: TransferResult = { sent, received, samePrefix: prefix.digest('hex') === gotHash.digest('hex'), ended };
  console.log(JSON.stringify(result));
});
