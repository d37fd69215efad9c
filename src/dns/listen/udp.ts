import { isIP } from 'node:net';
import { batchedUdpUnavailable } from '../../../native/batched-udp.js';
import type { Logger } from '../../util/logger.js';
import type { QueryHandler } from '../query-handler.js';
import { BatchedUdpListener, type BatchedUdpLimits } from './batched-udp-listener.js';
import { UdpListener } from './udp-listener.js';

/** `batched`: recvmmsg/sendmmsg through libc where it loads (else dgram); `dgram`: Node's socket, one datagram per call. */
export type UdpListenerKind = 'batched' | 'dgram';

/** The UDP side of one listening address, whichever kind. */
export interface UdpSide {
  readonly port: number;
  close(): Promise<void>;
}

let fallbackLogged = false;

/** Binds the UDP side of `host:port`; rejects as binding fails (EADDRNOTAVAIL while the address is not up). */
export async function bindUdp(kind: UdpListenerKind, host: string, port: number, handler: QueryHandler, limits: BatchedUdpLimits, log: Logger): Promise<UdpSide> {
  if (kind === 'batched' && isIP(host)) {
    const unavailable = batchedUdpUnavailable();
    if (!unavailable) return BatchedUdpListener.bind(host, port, handler, limits, log);
    if (!fallbackLogged) log.warn({ reason: unavailable }, 'DNS answers UDP one datagram per call (Node dgram): batched UDP is unavailable');
    fallbackLogged = true;
  }
  return UdpListener.bind(host, port, handler, log);
}
