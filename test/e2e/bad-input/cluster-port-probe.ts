// Bad input at a manager's cluster port from a client without a valid certificate, run inside a
// lab host (`node cluster-port-probe.js <config JSON>`): raw garbage, gRPC calls without a
// certificate, replayed and forged messages, a certificate from another CA. Prints one JSON line:
// what was sent and how the manager answered each.
import { connect as tcpConnect } from 'node:net';
import { randomBytes, sign, createPrivateKey } from 'node:crypto';
import { credentials, Client, Metadata, type ChannelCredentials, type ServiceError } from '@grpc/grpc-js';
import { createRootCA, generateNodeKey, issueNodeCertificate } from '../../../src/cluster/ca/certificates.js';
import { createCsr } from '../../../src/cluster/ca/csr.js';

export interface ProbeConfig {
  /** "address:2377" of a manager. */
  target: string;
  caCertPem: string;
  /** A real node's certificate and key, to sign replayed renewals (a captured message can carry its signature). */
  node: { id: string; certPem: string; keyPem: string };
  /** A real task ID, for replayed status and logs requests. */
  taskId: string;
  /** A join token whose secret is forged (the digest is the cluster's own). */
  forgedToken: string;
}

export type ProbeOutcome = { what: string; answer: string };

const json = (v: unknown): Buffer => Buffer.from(JSON.stringify(v));

/** Writes `bytes` on a plain TCP connection and reports how it ended (the server must just close it). */
function raw(host: string, port: number, bytes: Buffer): Promise<string> {
  return new Promise((resolve) => {
    const s = tcpConnect({ host, port }, () => s.end(bytes));
    let got = 0;
    s.on('data', (d: Buffer) => (got += d.length));
    s.setTimeout(3000, () => s.destroy());
    s.on('close', () => resolve(`closed after ${got} bytes back`));
    s.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}

function unary(creds: ChannelCredentials, target: string, path: string, body: Buffer): Promise<string> {
  const client = new Client(target, creds, { 'grpc.ssl_target_name_override': 'swarm-manager' });
  return new Promise((resolve) => {
    client.makeUnaryRequest(path, (b: Buffer) => b, (b: Buffer) => b, body, new Metadata(), { deadline: Date.now() + 5000 }, (err: ServiceError | null, res?: Buffer) => {
      client.close();
      resolve(err ? `code=${err.code} ${err.details}` : `accepted ${res?.toString().slice(0, 200)}`);
    });
  });
}

function serverStream(creds: ChannelCredentials, target: string, path: string, body: Buffer): Promise<string> {
  const client = new Client(target, creds, { 'grpc.ssl_target_name_override': 'swarm-manager' });
  return new Promise((resolve) => {
    const call = client.makeServerStreamRequest(path, (b: Buffer) => b, (b: Buffer) => b, body, new Metadata(), { deadline: Date.now() + 5000 });
    call.on('data', (d: Buffer) => {
      call.cancel();
      client.close();
      resolve(`accepted ${d.toString().slice(0, 200)}`);
    });
    call.on('error', (err: ServiceError) => {
      client.close();
      resolve(`code=${err.code} ${err.details}`);
    });
  });
}

function clientStream(creds: ChannelCredentials, target: string, path: string, messages: Buffer[]): Promise<string> {
  const client = new Client(target, creds, { 'grpc.ssl_target_name_override': 'swarm-manager' });
  return new Promise((resolve) => {
    const call = client.makeClientStreamRequest(path, (b: Buffer) => b, (b: Buffer) => b, new Metadata(), { deadline: Date.now() + 5000 }, (err: ServiceError | null) => {
      client.close();
      resolve(err ? `code=${err.code} ${err.details}` : 'accepted');
    });
    for (const m of messages) call.write(m);
    call.end();
  });
}

/** A renewal as the node would sign it at `signedAt`, for the request `csrPem`. */
function renewal(c: ProbeConfig, csrPem: string, signedAt: number) {
  const signature = sign('sha256', Buffer.from(`${signedAt}\n${csrPem}`), createPrivateKey(c.node.keyPem)).toString('base64');
  return { certPem: c.node.certPem, signedAt, signature };
}

async function main(c: ProbeConfig): Promise<ProbeOutcome[]> {
  const [host, portText] = c.target.split(':');
  const port = Number(portText);
  const out: ProbeOutcome[] = [];
  const record = async (what: string, answer: Promise<string>) => out.push({ what, answer: await answer });

  // Garbage on the wire: the TLS server must drop it.
  for (const size of [1, 100, 5000]) await record(`${size} random bytes`, raw(host!, port, randomBytes(size)));
  await record('an HTTP/1.1 request', raw(host!, port, Buffer.from(`GET / HTTP/1.1\r\nHost: ${c.target}\r\n\r\n`)));
  await record('an HTTP/2 preface in clear text', raw(host!, port, Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n')));
  await record('a TLS record header then garbage', raw(host!, port, Buffer.concat([Buffer.from([0x16, 0x03, 0x01, 0x40, 0x00]), randomBytes(300)])));

  // TLS that trusts the cluster's CA but shows no certificate of its own.
  const anonymous = credentials.createSsl(Buffer.from(c.caCertPem), null, null, { checkServerIdentity: () => undefined });
  await record('Dispatcher.Heartbeat', unary(anonymous, c.target, '/shoal.Dispatcher/Heartbeat', json({ appliedTableVersion: 1e9 })));
  await record('Dispatcher.UpdateTaskStatus replayed for a real task', unary(anonymous, c.target, '/shoal.Dispatcher/UpdateTaskStatus',
    json({ updates: [{ taskId: c.taskId, status: { State: 'failed', Message: 'replayed', Err: 'replayed', Timestamp: new Date().toISOString() } }] })));
  await record('Dispatcher.Session', serverStream(anonymous, c.target, '/shoal.Dispatcher/Session', json({})));
  await record('Logs.TaskLogs of a real task', serverStream(anonymous, c.target, '/shoal.Logs/TaskLogs', json({ taskId: c.taskId, opts: { stdout: true, stderr: true } })));
  await record('Raft.Stream with replayed-looking appends', clientStream(anonymous, c.target, '/shoal.raft.Raft/Stream',
    [json({ type: 'append', term: 999, from: c.node.id, entries: [{ index: 1, term: 999, data: 'eA==' }] }), randomBytes(64)]));
  await record('Raft.Snapshot with garbage', clientStream(anonymous, c.target, '/shoal.raft.Raft/Snapshot', [randomBytes(1024)]));
  const intruder = generateNodeKey();
  const intruderCsr = await createCsr(intruder.privateKeyPem);
  await record('CA.IssueNodeCertificate with a forged token', unary(anonymous, c.target, '/shoal.CA/IssueNodeCertificate',
    json({ token: c.forgedToken, csrPem: intruderCsr, hostname: 'intruder', advertiseAddr: host })));
  await record('CA.IssueNodeCertificate with a renewal replayed an hour late', unary(anonymous, c.target, '/shoal.CA/IssueNodeCertificate',
    json({ csrPem: intruderCsr, hostname: '', advertiseAddr: host, renewal: renewal(c, intruderCsr, Date.now() - 3600_000) })));
  const nodeCsr = await createCsr(c.node.keyPem);
  await record('CA.IssueNodeCertificate with a captured renewal and the intruder\'s key', unary(anonymous, c.target, '/shoal.CA/IssueNodeCertificate',
    json({ csrPem: intruderCsr, hostname: '', advertiseAddr: host, renewal: renewal(c, nodeCsr, Date.now()) })));
  await record('CA.IssueNodeCertificate with a body that is not JSON', unary(anonymous, c.target, '/shoal.CA/IssueNodeCertificate', randomBytes(200)));

  // A certificate naming a real manager, from a CA of the intruder's own.
  const rogueCA = await createRootCA();
  const rogueCert = await issueNodeCertificate(rogueCA, { nodeId: c.node.id, role: 'manager', clusterId: 'rogue', publicKeyPem: intruder.publicKeyPem, validityMs: 3600_000 });
  const rogue = credentials.createSsl(Buffer.from(c.caCertPem), Buffer.from(intruder.privateKeyPem), Buffer.from(rogueCert), { checkServerIdentity: () => undefined });
  await record('Dispatcher.Heartbeat with a rogue CA\'s manager certificate', unary(rogue, c.target, '/shoal.Dispatcher/Heartbeat', json({})));
  await record('Raft.Stream with a rogue CA\'s manager certificate', clientStream(rogue, c.target, '/shoal.raft.Raft/Stream', [json({ type: 'heartbeat', term: 999 })]));
  return out;
}

if (process.argv[2]) process.stdout.write(`${JSON.stringify(await main(JSON.parse(process.argv[2]) as ProbeConfig))}\n`);
