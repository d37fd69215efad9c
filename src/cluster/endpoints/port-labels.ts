// A service label per published port, `<prefix><published port>=<value>`, for what Docker's PortConfig has no field
// for (shoal.proxy-protocol.<port>, shoal.affinity.<port>). The managers refuse a bad one at create and update; the
// endpoint table carries each port's value.
import type { Labels } from '../types.js';

/** One kind of per-port label. */
export interface PortLabel<T> {
  /** The key up to the port: `shoal.affinity.`. */
  prefix: string;
  /** The one protocol a labelled port must be published with, and why (said in the refusal); any protocol when absent. */
  only?: { protocol: 'tcp' | 'udp'; because: string };
  /** The value, or an Error saying what is wrong with it and the fix, worded for the operator. */
  parse(value: string): T | Error;
}

/** A published port as the labels are checked against it. */
export interface LabelledPort {
  protocol: string;
  publishedPort: number;
}

/** The port's value of the label; undefined without one, or with a value that does not parse (the managers refuse those). */
export function portLabelValue<T>(label: PortLabel<T>, labels: Labels | undefined, port: LabelledPort): T | undefined {
  if (label.only && port.protocol !== label.only.protocol) return undefined;
  const value = labels?.[`${label.prefix}${port.publishedPort}`];
  if (value === undefined) return undefined;
  const parsed = label.parse(value);
  return parsed instanceof Error ? undefined : parsed;
}

/** What is wrong with the service's labels of this kind, naming the label and the fix (the managers' 400); undefined when nothing is. */
export function portLabelError(label: PortLabel<unknown>, labels: Labels | undefined, ports: readonly LabelledPort[]): string | undefined {
  const proto = label.only ? `${label.only.protocol.toUpperCase()} ` : '';
  const labelled = [...new Set(ports.filter((p) => p.publishedPort > 0 && (!label.only || p.protocol === label.only.protocol)).map((p) => String(p.publishedPort)))];
  for (const [key, value] of Object.entries(labels ?? {})) {
    if (!key.startsWith(label.prefix)) continue;
    const parsed = label.parse(value);
    if (parsed instanceof Error) return `invalid label ${key}=${value}: ${parsed.message}`;
    const port = key.slice(label.prefix.length);
    if (!labelled.includes(port)) {
      const why = label.only ? ` (${label.only.because})` : '';
      const choices = labelled.join(', ') || 'none published: add -p <port>:<target port>';
      return `invalid label ${key}: the service publishes no ${proto}port ${port}${why}; label a published ${proto}port (${choices}) or remove the label`;
    }
  }
  return undefined;
}
