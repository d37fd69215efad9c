import type { ServiceSpec } from '../cluster/types.js';
import { invalidArgument } from '../util/errors.js';
import { Field } from './field.js';
import { interpolate, type Lookup } from './interpolate.js';
import { mergeSources } from './merge.js';
import { convertFileObjects, convertNetworks, type FileObjectPlan, type NetworkPlan, type ReadFile } from './objects.js';
import { convertService, serviceNetworkKeys } from './service.js';
import { parseSource } from './source.js';

/** Everything `stack deploy` does for a set of compose files, computed before any call to the daemon. */
export interface StackPlan {
  stack: string;
  networks: NetworkPlan[];
  secrets: FileObjectPlan[];
  configs: FileObjectPlan[];
  /** Sorted by name; secret and config IDs are left empty, to be filled in once they exist. */
  services: ServiceSpec[];
  /** Docker's wording: `Ignoring unsupported options: build, restart`. */
  warnings: string[];
}

export interface ComposeInput {
  /** Each `-c` file's name (as given, for error messages) and text. */
  files: { name: string; text: string }[];
  stack: string;
  /** Where relative `file:` and `env_file:` paths start: the first file's directory. */
  workingDir: string;
  env: Lookup;
  readFile: ReadFile;
}

const TOP_KEYS = ['version', 'services', 'networks', 'volumes', 'secrets', 'configs'];

export function validateStackName(name: string): void {
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(name)) throw invalidArgument(`invalid stack name "${name}": use letters, digits, "_", "." and "-", starting with a letter or digit`);
}

/** Parses, interpolates, merges and converts the compose files into what to create or update. */
export function planStack(input: ComposeInput): StackPlan {
  validateStackName(input.stack);
  if (input.files.length === 0) throw invalidArgument('give at least one compose file with -c');
  const sources = input.files.map((f) => {
    const src = parseSource(f.name, f.text);
    const root = new Field(src.value, [], src.locs);
    if (src.value === null || typeof src.value !== 'object' || Array.isArray(src.value)) root.fail('a compose file must be a mapping with a services: key');
    const version = root.get('version');
    if (version && !/^3(\.\d+)?$/.test(version.string())) version.fail(`unsupported compose file version "${version.string()}": docker stack deploy takes version 3.x (or no version)`);
    return interpolate(src, input.env);
  });
  const merged = mergeSources(sources);
  const root = new Field(merged.value, [], merged.locs);
  root.checkKeys(TOP_KEYS);
  const services = root.get('services')?.entries() ?? root.fail('no services: to deploy');
  if (services.length === 0) root.get('services')!.fail('no services to deploy');

  const used = new Set(services.flatMap(([, f]) => serviceNetworkKeys(f.map())));
  const networks = convertNetworks(input.stack, root.get('networks'), used);
  const secrets = convertFileObjects('secret', input.stack, root.get('secrets'), input.workingDir, input.readFile);
  const configs = convertFileObjects('config', input.stack, root.get('configs'), input.workingDir, input.readFile);
  const ctx = { stack: input.stack, networks, secrets, configs, workingDir: input.workingDir, readFile: input.readFile, env: input.env };
  const ignored = new Set<string>();
  const specs = services.map(([key, f]) => {
    const { spec, ignored: dropped } = convertService(key, f.map(), ctx);
    dropped.forEach((k) => ignored.add(k));
    return spec;
  });
  return {
    stack: input.stack,
    networks: [...networks.values()].filter((n) => used.has(n.key)),
    secrets: [...secrets.values()],
    configs: [...configs.values()],
    services: specs.sort((a, b) => a.Name.localeCompare(b.Name)),
    warnings: ignored.size ? [`Ignoring unsupported options: ${[...ignored].sort().join(', ')}`] : [],
  };
}
