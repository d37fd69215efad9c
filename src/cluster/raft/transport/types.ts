import type { Message, NodeId } from '../core/types.js';

/** What a transport hands to its member. */
export interface TransportHandler {
  onMessage(m: Message): void;
  /** A follower's write, forwarded to this member (the leader): resolves with the reply, rejects with a ShoalError. */
  onForward(payload: string): Promise<string>;
  /** A message to `to` could not be delivered: the leader stops streaming to it and probes. */
  onUnreachable(to: NodeId): void;
  /** Whether a snapshot sent to `to` was installed. */
  onSnapshotStatus(to: NodeId, ok: boolean): void;
}

/** How members reach each other: gRPC between hosts, in memory in tests and the simulation. */
export interface Transport {
  start(handler: TransportHandler): Promise<void>;
  /** Fire and forget: Raft tolerates loss; failures come back through `onUnreachable` and `onSnapshotStatus`. */
  send(m: Message): void;
  /** Sends a follower's write to the leader and waits for its reply. */
  forward(to: NodeId, payload: string): Promise<string>;
  setPeer(id: NodeId, addr: string): void;
  removePeer(id: NodeId): void;
  close(): Promise<void>;
}
