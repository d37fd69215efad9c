import type { ReadTx } from '../store/types.js';
import type { EndpointSpec, NetworkObjectSwarm } from '../types.js';

/** The routing-mesh network, if the swarm has one. */
export const findIngressNetwork = (tx: ReadTx): NetworkObjectSwarm | undefined => tx.list('networks').find((n) => n.Spec.Ingress);

/** Whether a service publishes a port through the routing mesh, and so needs the ingress network. */
export const needsIngress = (spec: EndpointSpec | undefined): boolean =>
  (spec?.Ports ?? []).some((p) => (p.PublishMode || 'ingress') === 'ingress');
