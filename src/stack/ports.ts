import type { PortConfig } from '../cluster/types.js';
import type { Field } from './field.js';

const PROTOCOLS = ['tcp', 'udp', 'sctp'] as const;
const MODES = ['ingress', 'host'] as const;

function range(f: Field, text: string): [number, number] {
  const m = /^(\d+)(?:-(\d+))?$/.exec(text);
  if (!m) f.fail(`invalid port "${text}": use PORT or START-END`);
  const lo = Number(m[1]);
  const hi = m[2] === undefined ? lo : Number(m[2]);
  if (lo < 1 || hi > 65535 || hi < lo) f.fail(`invalid port range "${text}": ports are 1-65535, start before end`);
  return [lo, hi];
}

/** Short syntax: `80`, `8080:80`, `8000-8001:80-81`, `127.0.0.1:8080:80/udp` (the address is ignored, as docker stack deploy does). */
function shortPorts(f: Field): PortConfig[] {
  const text = f.string();
  const [spec, proto = 'tcp'] = text.split('/');
  if (!PROTOCOLS.includes(proto as (typeof PROTOCOLS)[number])) f.fail(`invalid protocol "${proto}" in "${text}": use tcp, udp or sctp`);
  const parts = spec!.split(':');
  if (parts.length > 3) f.fail(`invalid port "${text}": use [IP:][PUBLISHED:]TARGET[/PROTOCOL]`);
  const target = range(f, parts[parts.length - 1]!);
  const published = parts.length >= 2 && parts[parts.length - 2] !== '' ? range(f, parts[parts.length - 2]!) : undefined;
  const count = target[1] - target[0] + 1;
  if (published && published[1] - published[0] + 1 !== count && published[0] !== published[1]) {
    f.fail(`invalid port "${text}": the published and target ranges differ in size`);
  }
  return Array.from({ length: count }, (_, i) => ({
    Protocol: proto as PortConfig['Protocol'],
    TargetPort: target[0] + i,
    PublishedPort: published ? (published[0] === published[1] ? published[0] : published[0] + i) : 0,
    PublishMode: 'ingress' as const,
  }));
}

function longPort(f: Field): PortConfig {
  f.checkKeys(['target', 'published', 'protocol', 'mode']);
  const target = f.get('target') ?? f.fail('a port needs "target": the port the tasks listen on');
  const port = (p: Field): number => {
    const n = p.int(0);
    if (n > 65535) p.fail(`must be a port number (1-65535), not ${n}`);
    return n;
  };
  return {
    Protocol: f.get('protocol')?.oneOf(PROTOCOLS) ?? 'tcp',
    TargetPort: port(target),
    PublishedPort: f.get('published') ? port(f.get('published')!) : 0,
    PublishMode: f.get('mode')?.oneOf(MODES) ?? 'ingress',
  };
}

/** `ports:` in either syntax, sorted by published port as docker stack deploy sends them. */
export function convertPorts(f: Field): PortConfig[] {
  const ports = f.items().flatMap((p) => (p.value !== null && typeof p.value === 'object' ? [longPort(p)] : shortPorts(p)));
  return ports.sort((a, b) => (a.PublishedPort ?? 0) - (b.PublishedPort ?? 0));
}
