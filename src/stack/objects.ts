import { isAbsolute, join } from 'node:path';
import type { Labels } from '../cluster/types.js';
import type { Field } from './field.js';

export const NAMESPACE_LABEL = 'com.docker.stack.namespace';
export const IMAGE_LABEL = 'com.docker.stack.image';

/** `<stack>_<name>`, Docker's scoping of a stack's objects. */
export const scope = (stack: string, name: string): string => `${stack}_${name}`;

/** A compose `labels:` value plus the stack's namespace label. */
export function stackLabels(stack: string, f: Field | undefined): Labels {
  return { ...f?.stringMap(), [NAMESPACE_LABEL]: stack };
}

/** The body of `POST /networks/create`, as docker stack deploy sends it. */
export interface NetworkCreate {
  Name: string;
  Driver: string;
  Labels: Labels;
  Internal: boolean;
  Attachable: boolean;
  Options?: Record<string, string>;
  IPAM?: { Driver?: string; Config: { Subnet: string }[] };
  CheckDuplicate: true;
}

/** A top-level network, secret or config: the name the cluster knows it by, and whether the stack owns it. */
export interface Declared {
  /** The key in the compose file. */
  key: string;
  /** `<stack>_<key>`, or `name:`, or the external object's name. */
  name: string;
  external: boolean;
}

/** `external: true`, `external: { name: x }` (old form) and `name:` give the object's real name. */
function declared(stack: string, key: string, f: Field): Declared {
  const ext = f.get('external');
  const extName = ext && typeof ext.value === 'object' && ext.value !== null ? ext.get('name')?.string() : undefined;
  const external = ext ? (extName !== undefined || (typeof ext.value === 'object' && ext.value !== null) ? true : ext.bool()) : false;
  const name = extName ?? f.get('name')?.string() ?? (external ? key : scope(stack, key));
  return { key, name, external };
}

export interface NetworkPlan extends Declared {
  create?: NetworkCreate;
}

/** Every network the services use (`default` when a service names none), declared or implicit. */
export function convertNetworks(stack: string, top: Field | undefined, used: Set<string>): Map<string, NetworkPlan> {
  const out = new Map<string, NetworkPlan>();
  const defs = new Map(top?.entries() ?? []);
  for (const [key, f] of defs) {
    f.checkKeys(['driver', 'driver_opts', 'ipam', 'external', 'internal', 'attachable', 'labels', 'name']);
    const d = declared(stack, key, f);
    if (d.external) {
      out.set(key, d);
      continue;
    }
    const ipam = f.get('ipam');
    ipam?.checkKeys(['driver', 'config']);
    const driver = f.get('driver')?.string() ?? 'overlay';
    if (driver !== 'overlay') f.get('driver')!.fail(`only the overlay driver is available in a swarm stack, not "${driver}"`);
    const create: NetworkCreate = {
      Name: d.name,
      Driver: driver,
      Labels: stackLabels(stack, f.get('labels')),
      Internal: f.get('internal')?.bool() ?? false,
      Attachable: f.get('attachable')?.bool() ?? false,
      CheckDuplicate: true,
    };
    const opts = f.get('driver_opts')?.stringMap();
    if (opts) create.Options = opts;
    if (ipam) {
      create.IPAM = {
        ...(ipam.get('driver') ? { Driver: ipam.get('driver')!.string() } : {}),
        Config: (ipam.get('config')?.items() ?? []).map((c) => {
          c.checkKeys(['subnet']);
          return { Subnet: (c.get('subnet') ?? c.fail('an ipam config needs "subnet"')).string() };
        }),
      };
    }
    out.set(key, { ...d, create });
  }
  if (used.has('default') && !out.has('default')) {
    const name = scope(stack, 'default');
    out.set('default', { key: 'default', name, external: false, create: { Name: name, Driver: 'overlay', Labels: { [NAMESPACE_LABEL]: stack }, Internal: false, Attachable: false, CheckDuplicate: true } });
  }
  return out;
}

/** A secret or config the stack creates (Data base64) or only refers to (external). */
export interface FileObjectPlan extends Declared {
  spec?: { Name: string; Labels: Labels; Data: string; Templating?: { Name: string } };
}

export type ReadFile = (path: string) => Buffer;

/** Top-level `secrets:` or `configs:`: `file:` is read relative to the compose file's directory. */
export function convertFileObjects(kind: 'secret' | 'config', stack: string, top: Field | undefined, workingDir: string, readFile: ReadFile): Map<string, FileObjectPlan> {
  const out = new Map<string, FileObjectPlan>();
  for (const [key, f] of top?.entries() ?? []) {
    f.checkKeys(['file', 'external', 'name', 'labels', 'template_driver', ...(kind === 'secret' ? ['driver', 'driver_opts'] : [])]);
    const d = declared(stack, key, f);
    if (d.external) {
      out.set(key, d);
      continue;
    }
    if (f.get('driver')) f.get('driver')!.fail('secret drivers are not supported by Shoal; use file:');
    const file = f.get('file') ?? f.fail(`a ${kind} needs "file:" (a path to its content) or "external: true"`);
    const path = isAbsolute(file.string()) ? file.string() : join(workingDir, file.string());
    let data: Buffer;
    try {
      data = readFile(path);
    } catch (err) {
      return file.fail(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    const template = f.get('template_driver')?.string();
    out.set(key, { ...d, spec: { Name: d.name, Labels: stackLabels(stack, f.get('labels')), Data: data.toString('base64'), ...(template ? { Templating: { Name: template } } : {}) } });
  }
  return out;
}
