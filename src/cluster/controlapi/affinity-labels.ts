import { AFFINITY_LABEL_PREFIX, parseDurationSeconds } from '../endpoints/affinity.js';
import type { ServiceSpec } from '../types.js';
import { rpcError } from './errors.js';

/** Refuses `shoal.affinity.<port>` labels with a bad duration, or for a port the service does not publish. */
export function checkAffinityLabels(spec: ServiceSpec): void {
  const published = new Set((spec.EndpointSpec?.Ports ?? []).map((p) => p.PublishedPort).filter((p) => p));
  for (const [key, value] of Object.entries(spec.Labels ?? {})) {
    if (!key.startsWith(AFFINITY_LABEL_PREFIX)) continue;
    const port = key.slice(AFFINITY_LABEL_PREFIX.length);
    const seconds = parseDurationSeconds(value);
    if (seconds instanceof Error) throw rpcError('InvalidArgument', `invalid label ${key}=${value}: ${seconds.message}`);
    if (!/^\d+$/.test(port) || !published.has(Number(port))) {
      const ports = [...published].join(', ') || 'none';
      throw rpcError('InvalidArgument', `invalid label ${key}: the service publishes no port ${port} (published: ${ports}); name a published port, e.g. --label ${AFFINITY_LABEL_PREFIX}<published port>=10m`);
    }
  }
}
