import * as grpc from '@grpc/grpc-js';
import type { ServerSurfaceCall } from '@grpc/grpc-js/build/src/server-call.js';
import { ShoalError, isShoalError, errorMessage, type ErrorCode } from '../../../util/errors.js';
import type { Logger } from '../../../util/logger.js';
import type { Message, NodeId } from '../core/types.js';
import { pack, PACKED, unpack } from '../entries-codec.js';
import type { Transport, TransportHandler } from './types.js';

/** Snapshots travel in chunks of this size, so any snapshot fits under gRPC's message limit. */
const CHUNK = 1 << 20;
const MAX_MESSAGE = 16 << 20;
/**
 * A peer we keep sending to but have not heard from for this long is dialled again. A partition that drops packets
 * silently leaves the old TCP connection in retransmission backoff (a retry every 25 s after half a minute), so a
 * healed partition could go unnoticed for tens of seconds; a fresh connection gets through at once.
 */
const SILENT_REDIAL_MS = 2_000;

const json = {
  serialize: (v: unknown): Buffer => Buffer.from(JSON.stringify(v)),
  deserialize: (b: Buffer): unknown => JSON.parse(b.toString('utf8')),
};
const raw = { serialize: (b: Buffer): Buffer => b, deserialize: (b: Buffer): Buffer => b };
/** Raft messages with their entries packed (see entries-codec); a JSON message (an older manager's) is read too. */
const packed = {
  serialize: ({ entries, ...head }: Message): Buffer => pack(head, entries),
  deserialize: (b: Buffer): Message => {
    if (b[0] !== PACKED) return json.deserialize(b) as Message;
    const { head, entries } = unpack(b);
    return entries ? { ...(head as Message), entries } : (head as Message);
  },
};

/** The Raft service between managers, without protobuf: messages packed, snapshot chunks raw bytes, answers JSON. */
const service = {
  stream: { path: '/shoal.raft.Raft/Stream', requestStream: true, responseStream: false, requestSerialize: packed.serialize, requestDeserialize: packed.deserialize, responseSerialize: json.serialize, responseDeserialize: json.deserialize },
  snapshot: { path: '/shoal.raft.Raft/Snapshot', requestStream: true, responseStream: false, requestSerialize: raw.serialize, requestDeserialize: raw.deserialize, responseSerialize: json.serialize, responseDeserialize: json.deserialize },
  forward: { path: '/shoal.raft.Raft/Forward', requestStream: false, responseStream: false, requestSerialize: raw.serialize, requestDeserialize: raw.deserialize, responseSerialize: raw.serialize, responseDeserialize: raw.deserialize },
} satisfies grpc.ServiceDefinition;

const Client = grpc.makeGenericClientConstructor(service, 'Raft');
type RaftClient = InstanceType<typeof Client> & {
  stream(cb: grpc.requestCallback<unknown>): grpc.ClientWritableStream<Message>;
  snapshot(cb: grpc.requestCallback<unknown>): grpc.ClientWritableStream<Buffer>;
  forward(req: Buffer, opts: grpc.CallOptions, cb: grpc.requestCallback<Buffer>): grpc.ClientUnaryCall;
};

export interface GrpcTransportOptions {
  id: NodeId;
  log: Logger;
  /**
   * Where the Raft service is served: its own server on `listenAddr` (port 0: any free port, see
   * `port`), or registered on a server the caller runs (the cluster port), which then also checks
   * each call with `authorize` (only managers may speak Raft).
   */
  listen: { listenAddr: string; serverCredentials?: grpc.ServerCredentials } | { register: (def: grpc.ServiceDefinition, impl: grpc.UntypedServiceImplementation) => void; authorize: (call: ServerSurfaceCall) => void };
  channelCredentials?: grpc.ChannelCredentials;
}

interface Peer {
  addr: string;
  client: RaftClient;
  stream?: grpc.ClientWritableStream<Message>;
  /** When this connection was dialled, and when a message from the peer last came in (on its own stream to us). */
  dialedAt: number;
  heardAt: number;
  /** Snapshots being sent: a redial cancels them, so the core hears they failed and does not wait for them for ever. */
  snapshots: Set<grpc.ClientWritableStream<Buffer>>;
}

/** gRPC between managers: one long-lived stream of Raft messages per peer, chunked snapshots, unary forwarded writes. */
export class GrpcTransport implements Transport {
  private server?: grpc.Server;
  private readonly peers = new Map<NodeId, Peer>();
  private handler: TransportHandler | undefined;
  port = 0;

  constructor(private readonly opts: GrpcTransportOptions) {}

  async start(handler: TransportHandler): Promise<void> {
    this.handler = handler;
    const listen = this.opts.listen;
    const authorize = 'authorize' in listen ? listen.authorize : () => undefined;
    // A refused caller gets the reason as its status (UNAUTHENTICATED or PERMISSION_DENIED).
    const allowed = (call: ServerSurfaceCall, cb: grpc.sendUnaryData<never>): boolean => {
      try {
        authorize(call);
        return true;
      } catch (err) {
        const code = (err as { code?: number }).code;
        cb({ code: typeof code === 'number' ? code : grpc.status.PERMISSION_DENIED, details: errorMessage(err) });
        return false;
      }
    };
    const impl: grpc.UntypedServiceImplementation = {
      stream: (call: grpc.ServerReadableStream<Message, unknown>, cb: grpc.sendUnaryData<unknown>) => {
        if (!allowed(call, cb)) return;
        call.on('data', (m: Message) => {
          const peer = this.peers.get(m.from);
          if (peer) peer.heardAt = Date.now();
          this.handler?.onMessage(m);
        });
        call.on('end', () => cb(null, {}));
        call.on('error', () => undefined);
      },
      snapshot: (call: grpc.ServerReadableStream<Buffer, unknown>, cb: grpc.sendUnaryData<unknown>) => {
        if (!allowed(call, cb)) return;
        const chunks: Buffer[] = [];
        call.on('data', (b: Buffer) => chunks.push(b));
        call.on('end', () => {
          this.handler?.onMessage(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Message);
          cb(null, {});
        });
        call.on('error', () => undefined);
      },
      forward: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
        if (!allowed(call, cb)) return;
        this.handler!.onForward(call.request.toString('utf8')).then(
          (reply) => cb(null, Buffer.from(reply)),
          (err: unknown) => cb({ code: grpc.status.UNAVAILABLE, details: JSON.stringify({ code: isShoalError(err) ? err.code : 'internal', message: errorMessage(err) }) }),
        );
      },
    };
    if ('register' in listen) {
      listen.register(service, impl);
      return;
    }
    const server = new grpc.Server({ 'grpc.max_receive_message_length': MAX_MESSAGE });
    this.server = server;
    server.addService(service, impl);
    const creds = listen.serverCredentials ?? grpc.ServerCredentials.createInsecure();
    this.port = await new Promise<number>((resolve, reject) => server.bindAsync(listen.listenAddr, creds, (err, port) => (err ? reject(err) : resolve(port))));
    this.opts.log.info({ node: this.opts.id, addr: listen.listenAddr, port: this.port }, 'raft transport listening');
  }

  setPeer(id: NodeId, addr: string): void {
    const old = this.peers.get(id);
    if (old?.addr === addr) return;
    old?.client.close();
    this.peers.set(id, this.dial(addr, old?.heardAt));
  }

  private dial(addr: string, heardAt?: number): Peer {
    const creds = this.opts.channelCredentials ?? grpc.credentials.createInsecure();
    const client = new Client(addr, creds, { 'grpc.max_receive_message_length': MAX_MESSAGE, 'grpc.initial_reconnect_backoff_ms': 100, 'grpc.max_reconnect_backoff_ms': 1000 }) as RaftClient;
    const now = Date.now();
    return { addr, client, dialedAt: now, heardAt: heardAt ?? now, snapshots: new Set() };
  }

  /** Drops a connection that may be stuck in TCP backoff (see SILENT_REDIAL_MS) for a new one. */
  private redialIfSilent(id: NodeId, peer: Peer): Peer {
    const now = Date.now();
    if (now - peer.heardAt < SILENT_REDIAL_MS || now - peer.dialedAt < SILENT_REDIAL_MS) return peer;
    this.opts.log.debug({ node: this.opts.id, peer: id, silentMs: now - peer.heardAt }, 'raft: peer silent, dialling it again');
    peer.stream?.cancel();
    for (const call of peer.snapshots) call.cancel();
    peer.client.close();
    const fresh = this.dial(peer.addr, peer.heardAt);
    this.peers.set(id, fresh);
    return fresh;
  }

  /** New TLS material for talking to peers (a renewed certificate, new roots): every peer is dialled again with it. */
  setChannelCredentials(creds: grpc.ChannelCredentials): void {
    this.opts.channelCredentials = creds;
    for (const [id, peer] of [...this.peers]) {
      this.removePeer(id);
      this.setPeer(id, peer.addr);
    }
  }

  removePeer(id: NodeId): void {
    this.peers.get(id)?.stream?.end();
    this.peers.get(id)?.client.close();
    this.peers.delete(id);
  }

  send(m: Message): void {
    const known = this.peers.get(m.to);
    if (!known) return;
    const peer = this.redialIfSilent(m.to, known);
    if (m.type === 'snap') return this.sendSnapshot(peer, m);
    if (!peer.stream) {
      const stream = peer.client.stream((err) => {
        if (peer.stream === stream) peer.stream = undefined;
        if (err) this.handler?.onUnreachable(m.to);
      });
      peer.stream = stream;
    }
    peer.stream.write(m);
  }

  private sendSnapshot(peer: Peer, m: Message): void {
    const body = Buffer.from(JSON.stringify(m));
    const call = peer.client.snapshot((err) => {
      peer.snapshots.delete(call);
      if (err) this.opts.log.warn({ node: this.opts.id, to: m.to, err: err.message }, 'raft: sending a snapshot failed');
      this.handler?.onSnapshotStatus(m.to, !err);
    });
    peer.snapshots.add(call);
    for (let off = 0; off < body.length; off += CHUNK) call.write(body.subarray(off, off + CHUNK));
    call.end();
  }

  forward(to: NodeId, payload: string): Promise<string> {
    const peer = this.peers.get(to);
    if (!peer) return Promise.reject(new ShoalError('unavailable', `no address known for the leader ${to}`));
    return new Promise((resolve, reject) => {
      peer.client.forward(Buffer.from(payload), {}, (err, reply) => {
        if (!err) return resolve(reply!.toString('utf8'));
        try {
          const e = JSON.parse(err.details) as { code: ErrorCode; message: string };
          reject(new ShoalError(e.code, e.message));
        } catch {
          reject(new ShoalError('unavailable', `the leader ${to} did not answer: ${err.details || err.message}`));
        }
      });
    });
  }

  async close(): Promise<void> {
    for (const id of [...this.peers.keys()]) this.removePeer(id);
    this.server?.forceShutdown();
  }
}
