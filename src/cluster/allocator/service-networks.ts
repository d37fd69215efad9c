import type { ServiceSpec } from '../types.js';

/** The networks a service's tasks join, by ID: the task template's, or the older service-level list. */
export function serviceNetworkIds(spec: ServiceSpec): string[] {
  const nets = spec.TaskTemplate.Networks?.length ? spec.TaskTemplate.Networks : (spec.Networks ?? []);
  return nets.map((n) => n.Target);
}

/** Whether the service publishes a port through the routing mesh (and so joins the ingress network). */
export function usesIngress(spec: ServiceSpec): boolean {
  return (spec.EndpointSpec?.Ports ?? []).some((p) => (p.PublishMode ?? 'ingress') === 'ingress');
}
