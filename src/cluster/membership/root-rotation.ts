import type { Logger } from '../../util/logger.js';
import type { Store, WriteTx } from '../store/index.js';
import { mutable } from '../store/index.js';
import type { ClusterObject, NodeObject } from '../types.js';
import { certDer } from '../ca/certificates.js';
import { clusterTLSInfo } from '../ca/root-ca.js';
import { newJoinTokens } from './join-token.js';

/** Whether a node reports a certificate from the issuer the swarm wants (`TLSInfo`, as `docker swarm ca --rotate` compares). */
export const nodeRotated = (node: NodeObject, want: ClusterObject['TLSInfo']): boolean =>
  node.Description.TLSInfo?.CertIssuerPublicKey === want.CertIssuerPublicKey && node.Description.TLSInfo?.CertIssuerSubject === want.CertIssuerSubject;

/**
 * Ends a root rotation once every node reports a certificate from the new root: the new root
 * becomes the only trusted one (the old is dropped), and the join tokens are made anew with its
 * digest, so old tokens stop admitting hosts. Down nodes hold it up until they come back or are
 * removed (`docker node rm`). Returns the nodes still waited for; empty when it finished.
 */
export function finishRootRotation(tx: WriteTx): NodeObject[] | undefined {
  const cluster = tx.list('cluster')[0];
  const rotation = cluster?.RootCA?.RootRotation;
  if (!cluster || !rotation) return undefined;
  const want = clusterTLSInfo(cluster.RootCA!);
  const waiting = tx.list('nodes').filter((n) => !nodeRotated(n, want));
  if (waiting.length) return waiting;
  const next = mutable(cluster);
  next.RootCA = { CACert: rotation.CACert, ...(rotation.CAKey ? { CAKey: rotation.CAKey } : {}), LastForcedRotation: cluster.RootCA!.LastForcedRotation };
  next.TLSInfo = clusterTLSInfo(next.RootCA);
  next.RootRotationInProgress = false;
  next.JoinTokens = newJoinTokens(certDer(rotation.CACert));
  tx.update('cluster', next);
  return [];
}

/** Leader only: watches nodes' reports during a root rotation and ends it when all have rotated. */
export class RootRotationReconciler {
  private unwatch?: () => void;
  private waitingFor = -1;

  constructor(private readonly o: { store: Store; log: Logger }) {}

  start(): void {
    this.unwatch = this.o.store.watch((events) => {
      if (events.some((e) => e.table === 'nodes' || e.table === 'cluster')) this.check();
    });
    this.check();
  }

  stop(): void {
    this.unwatch?.();
  }

  private check(): void {
    if (!this.o.store.view((tx) => tx.list('cluster')[0]?.RootCA?.RootRotation)) return;
    this.o.store
      .update((tx) => finishRootRotation(tx))
      .then((waiting) => {
        if (!waiting || waiting.length === this.waitingFor) return;
        this.waitingFor = waiting.length;
        if (waiting.length) this.o.log.info({ waiting: waiting.map((n) => n.Description.Hostname) }, `root rotation: waiting for ${waiting.length} node(s) to get a certificate from the new root`);
        else this.o.log.info('root rotation finished: every node has a certificate from the new root, which is now the only trusted one; join tokens renewed');
      })
      .catch((err) => this.o.log.warn({ err }, 'checking the root rotation failed'));
  }
}
