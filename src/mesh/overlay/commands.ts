import { exec, type ExecResult } from '../../util/exec.js';
import { ShoalError } from '../../util/errors.js';

/**
 * Runs a command to completion and returns its result whatever the exit code. The overlay runs
 * `ip`, `bridge`, `nft` and `sysctl` through one, in the network namespace the runner stands for:
 * by default this process's (the daemon runs in the host's); a test gives one per lab host.
 */
export type CommandRunner = (cmd: string, args: readonly string[], input?: string) => Promise<ExecResult>;

export const localRunner: CommandRunner = (cmd, args, input) => exec(cmd, args, { input, allowFail: true });

/** A line of a batch that failed, and why. */
export interface BatchFailure {
  line: string;
  message: string;
}

/** What is already gone when a removal finds nothing to remove. */
const GONE = /No such file or directory|Cannot find device|Cannot assign requested address/;
const REMOVAL = /^(link|neigh|fdb|addr) del /;

/**
 * The lines of a `-force -batch` run that really failed. With `-force`, ip and bridge go on after
 * a failed line and print its error followed by `Command failed -:<line>`; a removal of something
 * already gone (another process, or a stale view after a crash) is not a failure. Pure.
 */
export function batchFailures(lines: readonly string[], stderr: string): BatchFailure[] {
  const failures: BatchFailure[] = [];
  let message: string[] = [];
  for (const text of stderr.split('\n')) {
    const m = /^Command failed -:(\d+)$/.exec(text.trim());
    if (!m) {
      if (text.trim()) message.push(text.trim());
      continue;
    }
    const line = lines[Number(m[1]) - 1] ?? `line ${m[1]}`;
    const why = message.join('; ');
    message = [];
    if (!(REMOVAL.test(line) && GONE.test(why))) failures.push({ line, message: why });
  }
  return failures;
}

/** Runs `lines` through `<tool> -force -batch -` in one process; throws naming every line that failed. */
export async function runBatch(run: CommandRunner, tool: 'ip' | 'bridge', lines: readonly string[]): Promise<void> {
  if (lines.length === 0) return;
  const res = await run(tool, ['-force', '-batch', '-'], `${lines.join('\n')}\n`);
  if (res.code === 0) return;
  const failures = batchFailures(lines, res.stderr);
  if (failures.length === 0 && /Command failed/.test(res.stderr)) return;
  const why = failures.length ? failures.map((f) => `"${f.line}": ${f.message}`).join('; ') : res.stderr.trim() || `exit ${res.code}`;
  throw new ShoalError('internal', `${tool} -batch failed: ${why}`);
}

/** Runs a command through `run`; throws with its error output on a non-zero exit. */
export async function runChecked(run: CommandRunner, cmd: string, args: readonly string[], input?: string): Promise<string> {
  const res = await run(cmd, args, input);
  if (res.code !== 0) throw new ShoalError('internal', `${cmd} ${args.join(' ')} failed (exit ${res.code}): ${res.stderr.trim() || res.stdout.trim()}`);
  return res.stdout;
}
