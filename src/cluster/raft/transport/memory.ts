import { ShoalError } from '../../../util/errors.js';
import type { Message, NodeId } from '../core/types.js';
import type { Transport, TransportHandler } from './types.js';

/** Decides the fate of one delivery: call `deliver` now, later, twice, or never (then `lost`, if given, when the sender would notice). */
export type DeliveryPolicy = (from: NodeId, to: NodeId, deliver: () => void, lost?: () => void) => void;

/**
 * Members in one process, for tests and the simulation. Messages are copied as they would be on
 * the wire; a policy (the simulation's network) decides when, whether and how often each arrives.
 */
export class MemoryNetwork {
  private readonly members = new Map<NodeId, TransportHandler>();

  constructor(public policy: DeliveryPolicy = (_f, _t, deliver) => setImmediate(deliver)) {}

  transport(id: NodeId): Transport {
    return new MemoryTransport(this, id);
  }

  attach(id: NodeId, handler: TransportHandler): void {
    this.members.set(id, handler);
  }

  /** The member is gone (crashed or closed): nothing reaches it any more. */
  detach(id: NodeId, handler?: TransportHandler): void {
    if (!handler || this.members.get(id) === handler) this.members.delete(id);
  }

  send(m: Message): void {
    const copy = JSON.parse(JSON.stringify(m)) as Message;
    this.policy(m.from, m.to, () => {
      const to = this.members.get(m.to);
      if (to) to.onMessage(copy);
      else if (m.type === 'snap') this.members.get(m.from)?.onSnapshotStatus(m.to, false);
    });
    // As with a gRPC call, the sender always learns how a snapshot went: a lost answer is a failure (the gRPC transport cancels a call to a peer gone silent).
    if (m.type === 'snap') {
      const report = (ok: boolean) => this.members.get(m.from)?.onSnapshotStatus(m.to, ok);
      this.policy(m.to, m.from, () => report(this.members.has(m.to)), () => report(false));
    }
  }

  forward(from: NodeId, to: NodeId, payload: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const unreachable = (): void => reject(new ShoalError('unavailable', `leader ${to} unreachable`));
      this.policy(from, to, () => {
        const target = this.members.get(to);
        if (!target) return unreachable();
        target.onForward(payload).then(
          (reply) => this.policy(to, from, () => resolve(reply)),
          (err: unknown) => this.policy(to, from, () => reject(err instanceof Error ? err : new Error(String(err)))),
        );
      });
    });
  }
}

class MemoryTransport implements Transport {
  private handler: TransportHandler | undefined;

  constructor(
    private readonly net: MemoryNetwork,
    private readonly id: NodeId,
  ) {}

  async start(handler: TransportHandler): Promise<void> {
    this.handler = handler;
    this.net.attach(this.id, handler);
  }

  send(m: Message): void {
    this.net.send(m);
  }

  forward(to: NodeId, payload: string): Promise<string> {
    return this.net.forward(this.id, to, payload);
  }

  setPeer(): void {}

  removePeer(): void {}

  async close(): Promise<void> {
    this.net.detach(this.id, this.handler);
  }
}
