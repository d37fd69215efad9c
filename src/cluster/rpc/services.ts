import { jsonService } from './json-service.js';
import type { NodeObject, TaskObject } from '../types.js';
import type { EndpointTable } from '../endpoints/types.js';

/** The CA: hands out the root certificate to anyone, and node certificates to holders of a join token (or of a valid certificate, to renew). */
export const CA_SERVICE = jsonService('shoal.CA', ['GetRootCACertificate', 'IssueNodeCertificate']);

/** The dispatcher: each host's session with the managers (assignments, heartbeats, task status, goodbye when it stops). */
export const DISPATCHER_SERVICE = jsonService('shoal.Dispatcher', ['Heartbeat', 'UpdateTaskStatus', 'Goodbye'], ['Session']);

export interface IssueRequest {
  /** Absent when renewing with a valid certificate. */
  token?: string;
  publicKeyPem: string;
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
  certPem: string;
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
}

export interface StatusUpdate {
  taskId: string;
  status: TaskObject['Status'];
}
