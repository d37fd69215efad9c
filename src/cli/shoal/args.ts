import { ShoalError } from '../../util/errors.js';

/** One flag of a command, spelled like the docker CLI's (`--name`, `-q`). */
export interface FlagSpec {
  name: string;
  short?: string;
  /** bool: `--x`, `--x=false`; string: `--x v`, `--x=v`; list: repeatable string. */
  type: 'bool' | 'string' | 'list';
  description: string;
  /** Shown in the help's type column (`string`, `duration`, `uint`, ...). */
  valueName?: string;
}

export type FlagValues = Record<string, boolean | string | string[] | undefined>;

export interface ParsedArgs {
  flags: FlagValues;
  positionals: string[];
  /** Names of the flags given on the command line, in order (for "only change what was asked"). */
  given: Set<string>;
}

/** Typed access to parsed flags. */
export class Flags {
  constructor(readonly parsed: ParsedArgs) {}
  bool(name: string): boolean {
    return this.parsed.flags[name] === true;
  }
  string(name: string): string | undefined {
    const v = this.parsed.flags[name];
    return typeof v === 'string' ? v : undefined;
  }
  list(name: string): string[] {
    const v = this.parsed.flags[name];
    return Array.isArray(v) ? v : [];
  }
  has(name: string): boolean {
    return this.parsed.given.has(name);
  }
  get positionals(): string[] {
    return this.parsed.positionals;
  }
}

const usageError = (message: string): ShoalError => new ShoalError('invalid_argument', message);

/**
 * Parses `argv` against `specs`, like cobra/pflag: `--flag value`, `--flag=value`, `-f value`, `-fvalue`,
 * grouped short booleans (`-qa`), `--` ends flags. With `stopAfterPositionals: n`, everything from the
 * n-th positional on is positional (`service create IMAGE COMMAND ARG...`).
 */
export function parseArgs(argv: string[], specs: FlagSpec[], opts: { stopAfterPositionals?: number } = {}): ParsedArgs {
  const byLong = new Map(specs.map((s) => [s.name, s]));
  const byShort = new Map(specs.filter((s) => s.short).map((s) => [s.short!, s]));
  const flags: FlagValues = {};
  const given = new Set<string>();
  const positionals: string[] = [];

  const set = (spec: FlagSpec, value: string | undefined, next: () => string): void => {
    given.add(spec.name);
    if (spec.type === 'bool') {
      if (value !== undefined && !['true', 'false', '1', '0'].includes(value)) throw usageError(`invalid argument "${value}" for "--${spec.name}" flag: a boolean is true or false`);
      flags[spec.name] = value === undefined || value === 'true' || value === '1';
      return;
    }
    const v = value ?? next();
    if (spec.type === 'list') flags[spec.name] = [...((flags[spec.name] as string[] | undefined) ?? []), v];
    else flags[spec.name] = v;
  };

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const next = (): string => {
      if (i + 1 >= argv.length) throw usageError(`flag needs an argument: ${arg.replace(/=.*/, '')}`);
      return argv[++i]!;
    };
    const stop = opts.stopAfterPositionals !== undefined && positionals.length >= opts.stopAfterPositionals;
    if (stop || arg === '-' || !arg.startsWith('-')) {
      positionals.push(arg);
      continue;
    }
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      const spec = byLong.get(name);
      if (!spec) throw usageError(`unknown flag: --${name}`);
      set(spec, eq < 0 ? undefined : arg.slice(eq + 1), next);
      continue;
    }
    // -abc: booleans grouped, or -fVALUE / -f VALUE for the last string flag
    for (let j = 1; j < arg.length; j++) {
      const spec = byShort.get(arg[j]!);
      if (!spec) throw usageError(`unknown shorthand flag: '${arg[j]}' in ${arg}`);
      if (spec.type === 'bool') {
        set(spec, undefined, next);
        continue;
      }
      const rest = arg.slice(j + 1).replace(/^=/, '');
      set(spec, rest === '' ? undefined : rest, next);
      break;
    }
  }
  return { flags, positionals, given };
}
