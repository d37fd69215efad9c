import { jsonService } from './json-service.js';
import type { NodeObject, TaskObject } from '../types.js';
import type { EndpointTable } from '../endpoints/types.js';

/** The CA: hands out the root certificate to anyone, and node certificates to holders of a join token (or of a valid certificate, to renew). */
export const CA_SERVICE = jsonService('shoal.CA', ['GetRootCACertificate', 'IssueNodeCertificate']);

/** The dispatcher: each host's session with the managers (assignments, heartbeats, task status, goodbye when it stops). */
export const DISPATCHER_SERVICE = jsonService('shoal.Dispatcher', ['Heartbeat', 'UpdateTaskStatus', 'Goodbye'], ['Session']);
/** How a manager that is not the leader refuses a host's session (the host then tries the next manager at once). */
export const NOT_THE_LEADER = 'this manager is not the leader: try another manager';

/** The refusal, naming the leader's cluster address when this manager knows it: the host goes there next. */
export function notTheLeader(leaderAddr: string | undefined): string {
  return leaderAddr ? `${NOT_THE_LEADER} (the leader is at ${leaderAddr})` : NOT_THE_LEADER;
}

/** The leader's address a refusal named, if it named one. */
export function leaderNamedIn(refusal: string): string | undefined {
  return /\(the leader is at ([^)\s]+)\)/.exec(refusal)?.[1];
}

export interface IssueRequest {
  /** Absent when renewing with a valid certificate. */
  token?: string;
  /** A PKCS#10 request for the host's key (the key never leaves the host). */
  csrPem: string;
  hostname: string;
  advertiseAddr: string;
  /** The cluster port the host will listen on (managers speak Raft to each other there). */
  listenPort?: number;
  /**
   * Renewal by a host whose certificate may have expired (TLS then does not vouch for it): its
   * current certificate, and a signature by its key over `signedAt` and `publicKeyPem`.
   */
  renewal?: { certPem: string; signedAt: number; signature: string };
  availability?: 'active' | 'pause' | 'drain';
  description?: NodeObject['Description'];
}

export interface IssueResponse {
  nodeId: string;
  role: 'manager' | 'worker';
  clusterId: string;
  /** The node certificate (followed by the cross-signed new root during a root rotation). */
  certPem: string;
  /** The roots to trust (the new one too during a root rotation). */
  caCertPem: string;
  managers: { nodeId: string; addr: string }[];
}

/** One message of a host's session: `full` replaces everything the host knew, `update` changes part of it. */
export interface SessionMessage {
  kind: 'full' | 'update';
  /** Tasks assigned to the host (all of them with `full`; changed ones with `update`). */
  tasks: TaskObject[];
  removedTasks: string[];
  /** base64 data of the secrets and configs the host's tasks use, by ID. */
  secrets: Record<string, string>;
  configs: Record<string, string>;
  serviceNames: Record<string, string>;
  node?: NodeObject;
  heartbeatPeriodMs: number;
  managers: { nodeId: string; addr: string }[];
  endpoints?: EndpointTable;
  /**
   * The swarm's roots, on the first message and whenever they change: the roots to trust, and the
   * one the host's certificate should come from (a new root during a rotation: renew now).
   */
  ca?: SessionCA;
}

export interface SessionCA {
  trustPem: string;
  issuerPem: string;
}

/** What a host says with each heartbeat. */
export interface HeartbeatRequest {
  appliedTableVersion?: number;
  /** The host's trust root and the issuer of its certificate (what `node inspect` shows, and root rotation waits for). */
  tlsInfo?: NodeObject['Description']['TLSInfo'];
}

export interface StatusUpdate {
  taskId: string;
  status: TaskObject['Status'];
}
