import { connect } from 'node:net';
import type { TaskObject } from '../cluster/types.js';
import type { ServiceEndpoint } from '../cluster/endpoints/types.js';

/**
 * How long a task without a health check may take to accept connections on its published ports
 * before it enters the mesh anyway (as Docker's would at once: a process that never listens there
 * is not held back for ever, only reported `starting` a little longer).
 */
export const READINESS_BOUND_MS = 5000;
const RETRY_MS = 100;
const CONNECT_TIMEOUT_MS = 1000;

export interface ReadinessTarget {
  host: string;
  port: number;
}

/**
 * Where the routing mesh will send the task's connections: its address on the ingress network (or
 * its first network) and each TCP target port the service publishes. None for a service that
 * publishes no TCP port: a VIP forwards any port, so there is no one port to wait for.
 */
export function readinessTargets(task: TaskObject, service: ServiceEndpoint | undefined): ReadinessTarget[] {
  const ports = [...new Set((service?.ports ?? []).filter((p) => p.protocol === 'tcp' && p.targetPort > 0).map((p) => p.targetPort))];
  const attachments = (task.NetworksAttachments ?? []).filter((a) => a.Addresses[0]);
  const address = (attachments.find((a) => a.Network.Spec.Ingress) ?? attachments[0])?.Addresses[0]?.split('/')[0];
  return address ? ports.map((port) => ({ host: address, port })) : [];
}

/** Whether a TCP connection to the target is accepted (then closed at once). */
function accepts(target: ReadinessTarget): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: target.host, port: target.port, timeout: CONNECT_TIMEOUT_MS });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('timeout', () => done(false));
    socket.once('error', () => done(false));
  });
}

/**
 * Waits until every target accepts a connection (true), or `boundMs` passed or `cancelled()` says
 * to stop (false). Tried every 100 ms.
 */
export async function waitAccepting(targets: ReadinessTarget[], boundMs: number, cancelled: () => boolean = () => false): Promise<boolean> {
  const deadline = Date.now() + boundMs;
  const waiting = new Set(targets);
  while (waiting.size > 0) {
    for (const t of [...waiting]) if (await accepts(t)) waiting.delete(t);
    if (waiting.size === 0) return true;
    if (cancelled() || Date.now() + RETRY_MS >= deadline) return false;
    await new Promise((r) => setTimeout(r, RETRY_MS));
  }
  return true;
}
