import type { EngineClient } from './engine-client.js';
import { Flags, parseArgs, type FlagSpec } from './args.js';
import { ShoalError } from '../../util/errors.js';

/** What every command runs with: the daemon, and where to write. */
export interface Context {
  client: EngineClient;
  out: NodeJS.WriteStream;
  err: NodeJS.WriteStream;
}

/** One verb (`service ls`, `info`). */
export interface Command {
  name: string;
  aliases?: string[];
  summary: string;
  /** After the command path in the usage line, e.g. `[OPTIONS] SERVICE [SERVICE...]`. */
  usage: string;
  flags: FlagSpec[];
  /** Positional arguments: at least `min`, at most `max` (undefined: no limit). */
  args?: { min?: number; max?: number };
  /** Flags after this many positionals belong to the positionals (`service create IMAGE CMD --flag`). */
  stopAfterPositionals?: number;
  run(ctx: Context, flags: Flags): Promise<number | void>;
}

/** A group of verbs (`service`, `node`). */
export interface CommandGroup {
  name: string;
  summary: string;
  commands: Command[];
}

export type Entry = Command | CommandGroup;

const isGroup = (e: Entry): e is CommandGroup => 'commands' in e;

const helpFlag: FlagSpec = { name: 'help', type: 'bool', description: 'Print usage' };

function flagLines(specs: FlagSpec[]): string[] {
  const left = specs.map((s) => `${s.short ? `-${s.short}, ` : '    '}--${s.name}${s.type === 'bool' ? '' : ` ${s.valueName ?? (s.type === 'list' ? 'list' : 'string')}`}`);
  const width = Math.max(...left.map((l) => l.length));
  return specs.map((s, i) => `  ${left[i]!.padEnd(width)}   ${s.description}`);
}

export function commandHelp(path: string, cmd: Command): string {
  const lines = [`Usage:  shoal ${path} ${cmd.usage}`, '', cmd.summary];
  if (cmd.aliases?.length) lines.push('', 'Aliases:', `  ${[cmd.name, ...cmd.aliases].join(', ')}`);
  lines.push('', 'Options:', ...flagLines([...cmd.flags, helpFlag]));
  return lines.join('\n') + '\n';
}

export function groupHelp(group: CommandGroup): string {
  const width = Math.max(...group.commands.map((c) => c.name.length));
  return [`Usage:  shoal ${group.name} COMMAND`, '', group.summary, '', 'Commands:', ...group.commands.map((c) => `  ${c.name.padEnd(width)}   ${c.summary}`), '', `Run 'shoal ${group.name} COMMAND --help' for more information on a command.`].join('\n') + '\n';
}

export function entriesHelp(entries: Entry[]): string[] {
  const width = Math.max(...entries.map((e) => e.name.length));
  return entries.map((e) => `  ${e.name.padEnd(width)}   ${e.summary}`);
}

export const usageError = (path: string, message: string): ShoalError =>
  new ShoalError('invalid_argument', `${message}\nSee 'shoal ${path} --help'.`);

/** Finds the verb for `argv` (group, then subcommand), parses its flags and runs it. */
export async function dispatch(entries: Entry[], argv: string[], ctx: Context): Promise<number> {
  const [name, ...rest] = argv;
  const entry = entries.find((e) => e.name === name);
  if (!entry) throw new ShoalError('invalid_argument', `shoal: '${name}' is not a shoal command.\nSee 'shoal --help'`);
  if (!isGroup(entry)) return runCommand(entry.name, entry, rest, ctx);
  const [sub, ...args] = rest;
  if (sub === undefined || sub === '--help' || sub === '-h') {
    ctx.out.write(groupHelp(entry));
    return 0;
  }
  const cmd = entry.commands.find((c) => c.name === sub || c.aliases?.includes(sub));
  if (!cmd) throw usageError(entry.name, `shoal ${entry.name}: '${sub}' is not a shoal ${entry.name} command.`);
  return runCommand(`${entry.name} ${cmd.name}`, cmd, args, ctx);
}

async function runCommand(path: string, cmd: Command, argv: string[], ctx: Context): Promise<number> {
  const parsed = parseArgs(argv, [...cmd.flags, helpFlag], { stopAfterPositionals: cmd.stopAfterPositionals });
  if (parsed.flags.help) {
    ctx.out.write(commandHelp(path, cmd));
    return 0;
  }
  const n = parsed.positionals.length;
  const { min = 0, max } = cmd.args ?? {};
  if (n < min || (max !== undefined && n > max)) {
    const want = max === min ? `exactly ${min}` : n < min ? `at least ${min}` : `at most ${max}`;
    throw usageError(path, `"shoal ${path}" requires ${want} argument${(max ?? min) === 1 ? '' : 's'}.\n\nUsage:  shoal ${path} ${cmd.usage}\n\n${cmd.summary}`);
  }
  return (await cmd.run(ctx, new Flags(parsed))) ?? 0;
}
