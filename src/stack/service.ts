import { isAbsolute, join } from 'node:path';
import type { ConfigReference, ContainerSpec, HealthConfig, NetworkAttachmentConfig, SecretReference, ServiceSpec } from '../cluster/types.js';
import { convertDeploy } from './deploy.js';
import type { Field } from './field.js';
import { IMAGE_LABEL, NAMESPACE_LABEL, scope, stackLabels, type FileObjectPlan, type NetworkPlan, type ReadFile } from './objects.js';
import { convertPorts } from './ports.js';
import { commandLine, duration } from './units.js';

/** What a service may say: converted, or (IGNORED) dropped with Docker's warning. */
const SERVICE_KEYS = [
  'image', 'command', 'entrypoint', 'environment', 'env_file', 'labels', 'deploy', 'ports', 'networks', 'secrets', 'configs',
  'healthcheck', 'hostname', 'user', 'working_dir', 'stop_grace_period', 'stop_signal', 'tty', 'stdin_open', 'read_only', 'init',
  'extra_hosts', 'dns', 'dns_search', 'cap_add', 'cap_drop', 'sysctls', 'logging', 'depends_on', 'volumes',
];
/** Docker's list of options docker stack deploy ignores (`restart` still sets the restart policy when deploy has none). */
export const IGNORED_SERVICE_KEYS = ['build', 'cgroupns_mode', 'cgroup_parent', 'container_name', 'devices', 'domainname', 'expose', 'external_links', 'ipc', 'links', 'mac_address', 'network_mode', 'pid', 'privileged', 'restart', 'security_opt', 'shm_size', 'userns_mode'];

export interface ServiceContext {
  stack: string;
  networks: Map<string, NetworkPlan>;
  secrets: Map<string, FileObjectPlan>;
  configs: Map<string, FileObjectPlan>;
  workingDir: string;
  readFile: ReadFile;
  env: (name: string) => string | undefined;
}

/** The networks a service names (`default` when none). */
export function serviceNetworkKeys(f: Field): string[] {
  const nets = f.get('networks');
  if (!nets) return ['default'];
  return Array.isArray(nets.value) ? nets.items().map((n) => n.string()) : nets.entries().map(([k]) => k);
}

function networks(service: string, f: Field, ctx: ServiceContext): NetworkAttachmentConfig[] {
  const nets = f.get('networks');
  const attachments = serviceNetworkKeys(f).map((key) => {
    const plan = ctx.networks.get(key) ?? (nets ?? f).fail(`network "${key}" is not declared under the top-level networks:`, nets ? key : undefined);
    const opts = nets && !Array.isArray(nets.value) ? nets.get(key) : undefined;
    opts?.map().checkKeys(['aliases', 'ipv4_address', 'ipv6_address']);
    const aliases = opts?.get('aliases')?.items().map((a) => a.string()) ?? [];
    return { Target: plan.name, Aliases: [...aliases, service] };
  });
  return attachments.sort((a, b) => a.Target.localeCompare(b.Target));
}

/** `secrets:` / `configs:` of a service: short (`- name`) or long (source, target, uid, gid, mode). IDs are filled in at deploy. */
function fileRefs(kind: 'secret' | 'config', f: Field | undefined, declared: Map<string, FileObjectPlan>): { name: string; file: { Name: string; UID: string; GID: string; Mode: number } }[] {
  if (!f) return [];
  const refs = f.items().map((r) => {
    const long = r.value !== null && typeof r.value === 'object';
    if (long) r.checkKeys(['source', 'target', 'uid', 'gid', 'mode']);
    const sourceField = long ? (r.get('source') ?? r.fail(`a ${kind} reference needs "source"`)) : r;
    const source = sourceField.string();
    const plan = declared.get(source) ?? sourceField.fail(`${kind} "${source}" is not declared under the top-level ${kind}s:`);
    const target = long ? r.get('target')?.string() : undefined;
    return {
      name: plan.name,
      // As docker stack deploy: the target defaults to the key (a config's lands at /<key> in the task).
      file: { Name: target ?? source, UID: long ? (r.get('uid')?.string() ?? '0') : '0', GID: long ? (r.get('gid')?.string() ?? '0') : '0', Mode: long ? (r.get('mode')?.int(0) ?? 0o444) : 0o444 },
    };
  });
  return refs.sort((a, b) => a.name.localeCompare(b.name));
}

function healthcheck(f: Field | undefined): HealthConfig | undefined {
  if (!f) return undefined;
  f.checkKeys(['test', 'interval', 'timeout', 'retries', 'start_period', 'disable']);
  const test = f.get('test');
  if (f.get('disable')?.bool()) {
    if (test) test.fail('test and disable cannot both be set');
    return { Test: ['NONE'] };
  }
  const out: HealthConfig = {};
  if (test) out.Test = Array.isArray(test.value) ? test.items().map((t) => t.string()) : ['CMD-SHELL', test.string()];
  if (f.get('interval')) out.Interval = duration(f.get('interval')!);
  if (f.get('timeout')) out.Timeout = duration(f.get('timeout')!);
  if (f.get('retries')) out.Retries = f.get('retries')!.int(0);
  if (f.get('start_period')) out.StartPeriod = duration(f.get('start_period')!);
  return out;
}

/** env_file entries, then environment: (which wins); `KEY` alone takes the deploying shell's value, or stays bare. */
function environment(f: Field, ctx: ServiceContext): string[] | undefined {
  const env: Record<string, string | null> = {};
  for (const file of f.get('env_file')?.stringOrList() ?? []) {
    const path = isAbsolute(file) ? file : join(ctx.workingDir, file);
    let text: string;
    try {
      text = ctx.readFile(path).toString('utf8');
    } catch (err) {
      return f.get('env_file')!.fail(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    for (const line of text.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'))) {
      const eq = line.indexOf('=');
      env[eq < 0 ? line : line.slice(0, eq)] = eq < 0 ? null : line.slice(eq + 1);
    }
  }
  Object.assign(env, f.get('environment')?.keyValues() ?? {});
  const list = Object.entries(env).map(([k, v]) => {
    const value = v ?? ctx.env(k);
    return value === undefined ? k : `${k}=${value}`;
  });
  return list.length ? list.sort() : undefined;
}

function containerSpec(f: Field, ctx: ServiceContext): ContainerSpec {
  const image = f.get('image') ?? f.fail('a service needs "image:" (docker stack deploy does not build images)');
  // Privileges as docker stack deploy sends them when the file sets no credential spec or SELinux context.
  const spec: ContainerSpec = { Image: image.string(), Labels: stackLabels(ctx.stack, f.get('labels')), Privileges: { CredentialSpec: null, SELinuxContext: null, NoNewPrivileges: false } };
  const set = <K extends keyof ContainerSpec>(key: K, value: ContainerSpec[K] | undefined): void => {
    if (value !== undefined) spec[key] = value;
  };
  set('Command', f.get('entrypoint') && commandLine(f.get('entrypoint')!));
  set('Args', f.get('command') && commandLine(f.get('command')!));
  set('Hostname', f.get('hostname')?.string());
  set('Env', environment(f, ctx));
  set('Dir', f.get('working_dir')?.string());
  set('User', f.get('user')?.string());
  set('StopGracePeriod', f.get('stop_grace_period') && duration(f.get('stop_grace_period')!));
  set('StopSignal', f.get('stop_signal')?.string());
  set('TTY', f.get('tty')?.bool());
  set('OpenStdin', f.get('stdin_open')?.bool());
  set('ReadOnly', f.get('read_only')?.bool());
  set('Init', f.get('init')?.bool());
  set('HealthCheck', healthcheck(f.get('healthcheck')));
  set('CapabilityAdd', f.get('cap_add')?.items().map((c) => c.string()));
  set('CapabilityDrop', f.get('cap_drop')?.items().map((c) => c.string()));
  set('Sysctls', f.get('sysctls')?.stringMap());
  // extra_hosts "name:ip" becomes the engine's "ip name".
  set('Hosts', f.get('extra_hosts') && Object.entries(f.get('extra_hosts')!.keyValues()).map(([k, v]) => (v === null ? k.replace(/^([^:]+):(.*)$/, '$2 $1') : `${v} ${k}`)));
  const dns = f.get('dns')?.stringOrList();
  const search = f.get('dns_search')?.stringOrList();
  if (dns || search) spec.DNSConfig = { ...(dns ? { Nameservers: dns } : {}), ...(search ? { Search: search } : {}) };
  const secrets: SecretReference[] = fileRefs('secret', f.get('secrets'), ctx.secrets).map((r) => ({ File: r.file, SecretID: '', SecretName: r.name }));
  if (secrets.length) spec.Secrets = secrets;
  const configs: ConfigReference[] = fileRefs('config', f.get('configs'), ctx.configs).map((r) => ({ File: r.file, ConfigID: '', ConfigName: r.name }));
  if (configs.length) spec.Configs = configs;
  return spec;
}

/** One compose service as the ServiceSpec docker stack deploy sends for it; `ignored` lists the keys dropped. */
export function convertService(key: string, f: Field, ctx: ServiceContext): { spec: ServiceSpec; ignored: string[] } {
  if (f.get('volumes')) f.fail('volumes are not supported by Shoal stacks yet: use secrets or configs for files, or leave the key out', 'volumes');
  const ignored = f.checkKeys(SERVICE_KEYS, IGNORED_SERVICE_KEYS);
  const deploy = convertDeploy(f.get('deploy'), f.get('restart'));
  const container = containerSpec(f, ctx);
  const logging = f.get('logging');
  logging?.checkKeys(['driver', 'options']);
  const ports = f.get('ports') ? convertPorts(f.get('ports')!) : [];
  const spec: ServiceSpec = {
    Name: scope(ctx.stack, key),
    Labels: { ...deploy.labels, [NAMESPACE_LABEL]: ctx.stack, [IMAGE_LABEL]: container.Image },
    TaskTemplate: {
      ContainerSpec: container,
      Resources: deploy.resources,
      Placement: deploy.placement,
      Networks: networks(key, f, ctx),
      ForceUpdate: 0,
      ...(deploy.restartPolicy ? { RestartPolicy: deploy.restartPolicy } : {}),
      ...(logging ? { LogDriver: { Name: (logging.get('driver') ?? logging.fail('logging needs "driver"')).string(), Options: logging.get('options')?.stringMap() ?? {} } } : {}),
    },
    Mode: deploy.mode,
    EndpointSpec: { ...(deploy.endpointMode ? { Mode: deploy.endpointMode } : {}), ...(ports.length ? { Ports: ports } : {}) },
    ...(deploy.updateConfig ? { UpdateConfig: deploy.updateConfig } : {}),
    ...(deploy.rollbackConfig ? { RollbackConfig: deploy.rollbackConfig } : {}),
  };
  return { spec, ignored };
}
