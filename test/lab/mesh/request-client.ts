// A request/response client for the replay tests: `node request-client.js '<json RequestSpec>'`, run in
// the lab namespace. Sends one line of `bytes` bytes and its end (FIN), prints `sent` (stderr) once the
// kernel has them, and prints a RequestResult (stdout) when the server ends the connection or `timeoutMs` passes.
import { connect } from 'node:net';

export interface RequestSpec {
  host: string;
  port: number;
  /** The request line's length, newline included. */
  bytes: number;
  timeoutMs: number;
}

export interface RequestResult {
  /** Everything the server said. */
  answer: string;
  /** How it ended: `end` (a FIN), an error code, or `timeout`. */
  ended: string;
}

const spec = JSON.parse(process.argv[2]!) as RequestSpec;
const chunks: Buffer[] = [];
const done = (ended: string) => {
  const r: RequestResult = { answer: Buffer.concat(chunks).toString(), ended };
  process.stdout.write(`${JSON.stringify(r)}\n`, () => process.exit(0));
};
const s = connect({ host: spec.host, port: spec.port }, () => s.end(`${'x'.repeat(spec.bytes - 1)}\n`, () => process.stderr.write('sent\n')));
s.on('data', (d) => chunks.push(d));
s.on('end', () => done('end'));
s.on('error', (err: NodeJS.ErrnoException) => done(err.code ?? err.message));
setTimeout(() => done('timeout'), spec.timeoutMs);
