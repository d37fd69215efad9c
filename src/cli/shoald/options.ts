import { parseArgs } from 'node:util';
import { existsSync, readFileSync } from 'node:fs';
import { invalidArgument } from '../../util/errors.js';

/** Everything shoald can be told, from flags or /etc/shoal/shoald.json (flags win). */
export interface DaemonOptions {
  dataDir: string;
  apiSocket: string;
  /** Engine API on TCP, like dockerd's `-H tcp://...`: needs TLS unless insecureTcp. */
  apiTcp?: string;
  tlsCa?: string;
  tlsCert?: string;
  tlsKey?: string;
  insecureTcp: boolean;
  advertiseAddr?: string;
  listenAddr: string;
  runtime: 'auto' | 'process' | 'docker';
  dockerHost: string;
  dataplane: 'auto' | 'nftables' | 'userspace';
  metricsAddr?: string;
  uiAddr?: string;
  logLevel: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';
}

export const DEFAULT_CONFIG_FILE = '/etc/shoal/shoald.json';

const DEFAULTS: DaemonOptions = {
  dataDir: '/var/lib/shoal',
  apiSocket: '/run/shoal/shoal.sock',
  insecureTcp: false,
  listenAddr: '0.0.0.0:2377',
  runtime: 'auto',
  dockerHost: 'unix:///var/run/docker.sock',
  dataplane: 'auto',
  logLevel: 'info',
};

const FLAGS = {
  'data-dir': { type: 'string', key: 'dataDir', help: 'where the cluster state, images and task files live', def: DEFAULTS.dataDir },
  'api-socket': { type: 'string', key: 'apiSocket', help: 'unix socket of the Engine API', def: DEFAULTS.apiSocket },
  'api-tcp': { type: 'string', key: 'apiTcp', help: 'also serve the Engine API on HOST:PORT (TLS with --tlsverify files)' },
  tlscacert: { type: 'string', key: 'tlsCa', help: 'CA that client certificates must be signed by' },
  tlscert: { type: 'string', key: 'tlsCert', help: 'server certificate for --api-tcp' },
  tlskey: { type: 'string', key: 'tlsKey', help: 'server key for --api-tcp' },
  'insecure-tcp': { type: 'boolean', key: 'insecureTcp', help: 'allow --api-tcp without TLS (anyone who reaches it owns the cluster)' },
  'advertise-addr': { type: 'string', key: 'advertiseAddr', help: 'address other hosts reach this one at (default: the address of the default route)' },
  'listen-addr': { type: 'string', key: 'listenAddr', help: 'cluster port for managers and agents', def: DEFAULTS.listenAddr },
  runtime: { type: 'string', key: 'runtime', help: 'auto | process | docker', def: DEFAULTS.runtime },
  'docker-host': { type: 'string', key: 'dockerHost', help: 'Docker engine used by --runtime docker', def: DEFAULTS.dockerHost },
  dataplane: { type: 'string', key: 'dataplane', help: 'auto | nftables | userspace', def: DEFAULTS.dataplane },
  'metrics-addr': { type: 'string', key: 'metricsAddr', help: 'serve Prometheus metrics on HOST:PORT (GET /metrics)' },
  'ui-addr': { type: 'string', key: 'uiAddr', help: 'serve the live cluster view (a web page, read-only) on HOST:PORT' },
  'log-level': { type: 'string', key: 'logLevel', help: 'trace | debug | info | warn | error', def: DEFAULTS.logLevel },
} as const satisfies Record<string, { type: 'string' | 'boolean'; key: keyof DaemonOptions; help: string; def?: string }>;

const ENUMS: Partial<Record<keyof DaemonOptions, readonly string[]>> = {
  runtime: ['auto', 'process', 'docker'],
  dataplane: ['auto', 'nftables', 'userspace'],
  logLevel: ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'],
};

export function usage(): string {
  const lines = ['Usage: shoald [OPTIONS]', '', 'The Shoal daemon: runs on every host; managers keep the cluster state.', '', 'Options:'];
  for (const [name, f] of Object.entries(FLAGS)) {
    const arg = f.type === 'string' ? ` ${name === 'log-level' ? 'LEVEL' : 'VALUE'}` : '';
    const def = 'def' in f ? ` (default ${f.def})` : '';
    lines.push(`      --${(name + arg).padEnd(26)} ${f.help}${def}`);
  }
  lines.push(`      --${'config FILE'.padEnd(26)} JSON file of options, flags win (default ${DEFAULT_CONFIG_FILE})`);
  lines.push(`  -h, --${'help'.padEnd(26)} print this help`);
  lines.push(`  -v, --${'version'.padEnd(26)} print the version`);
  return lines.join('\n');
}

export type ParsedCommand = { kind: 'help' } | { kind: 'version' } | { kind: 'run'; options: DaemonOptions; configFile?: string };

/** Parses argv, merges the config file under it, and validates the result. */
export function parseDaemonArgs(argv: string[], readConfig = readConfigFile): ParsedCommand {
  const spec: Record<string, { type: 'string' | 'boolean'; short?: string }> = {
    config: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
    version: { type: 'boolean', short: 'v' },
  };
  for (const [name, f] of Object.entries(FLAGS)) spec[name] = { type: f.type };
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: argv, options: spec, strict: true, allowPositionals: false }));
  } catch (err) {
    throw invalidArgument(`${(err as Error).message}\nSee 'shoald --help'.`);
  }
  if (values.help) return { kind: 'help' };
  if (values.version) return { kind: 'version' };

  const configFile = typeof values.config === 'string' ? values.config : DEFAULT_CONFIG_FILE;
  const fromFile = readConfig(configFile, typeof values.config === 'string');
  const options: Record<string, unknown> = { ...DEFAULTS, ...fromFile };
  for (const [name, f] of Object.entries(FLAGS)) if (values[name] !== undefined) options[f.key] = values[name];
  validate(options);
  return { kind: 'run', options: options as unknown as DaemonOptions, configFile: Object.keys(fromFile).length ? configFile : undefined };
}

function validate(o: Record<string, unknown>): void {
  const known = new Set<string>(Object.values(FLAGS).map((f) => f.key));
  for (const [key, value] of Object.entries(o)) {
    if (!known.has(key)) throw invalidArgument(`unknown option "${key}" in the config file; known: ${[...known].join(', ')}`);
    const allowed = ENUMS[key as keyof DaemonOptions];
    if (allowed && !allowed.includes(String(value))) throw invalidArgument(`invalid ${key} "${String(value)}": use one of ${allowed.join(', ')}`);
  }
  if (o.metricsAddr !== undefined && !/^(?:[^\s:]*|\[[0-9a-fA-F:]+\]):\d{1,5}$/.test(String(o.metricsAddr))) {
    throw invalidArgument(`--metrics-addr "${String(o.metricsAddr)}" must be HOST:PORT or :PORT, e.g. 0.0.0.0:9323`);
  }
  if (o.apiTcp && !o.insecureTcp && !(o.tlsCa && o.tlsCert && o.tlsKey)) {
    throw invalidArgument('--api-tcp needs --tlscacert, --tlscert and --tlskey (clients must present a certificate), or --insecure-tcp to serve plain TCP');
  }
}

/** Reads the JSON config file: keys are the flag names (`data-dir`) or option names (`dataDir`). */
export function readConfigFile(path: string, required: boolean): Record<string, unknown> {
  if (!existsSync(path)) {
    if (required) throw invalidArgument(`config file ${path} does not exist`);
    return {};
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw invalidArgument(`config file ${path} is not valid JSON: ${(err as Error).message}`);
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw invalidArgument(`config file ${path} must hold a JSON object`);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) {
    const flag = FLAGS[k as keyof typeof FLAGS];
    out[flag ? flag.key : k] = v;
  }
  return out;
}
