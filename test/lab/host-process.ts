import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { sleep } from '../../src/util/clock.js';
import { isAlive, killTrees } from './pids.js';

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface SpawnInHostOptions {
  /** Label for the log file and the logs dump; defaults to the command's base name. */
  name?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/**
 * A process started inside a lab host. Its stdout and stderr go, interleaved, to one log file
 * that outlives it, so a failing test can show what every process said.
 */
export class LabProcess {
  readonly pid: number;
  private readonly exitPromise: Promise<ProcessExit>;
  private exit: ProcessExit | undefined;

  private constructor(
    readonly host: string,
    readonly name: string,
    readonly logPath: string,
    private readonly child: ChildProcess,
  ) {
    this.pid = child.pid!;
    this.exitPromise = new Promise<ProcessExit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal }))).then(
      (e) => (this.exit = e),
    );
  }

  /** Resolves when the process has exited; while awaited, the child keeps the event loop alive. */
  get exited(): Promise<ProcessExit> {
    this.child.ref();
    return this.exitPromise;
  }

  /** Spawns `argv` (already wrapped to enter the host) and resolves once the process exists. */
  static async spawn(host: string, name: string, argv: readonly string[], logPath: string, opts: SpawnInHostOptions): Promise<LabProcess> {
    const fd = openSync(logPath, 'a');
    try {
      const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', fd, fd], env: opts.env ?? process.env, cwd: opts.cwd });
      await new Promise<void>((resolve, reject) => {
        child.once('spawn', resolve);
        child.once('error', reject);
      });
      const proc = new LabProcess(host, name, logPath, child);
      // A test that forgets to destroy its lab must not hang on its children; leftovers are swept later.
      child.unref();
      return proc;
    } finally {
      closeSync(fd);
    }
  }

  get running(): boolean {
    return this.exit === undefined && isAlive(this.pid);
  }

  /** What the process has written to stdout and stderr so far. */
  output(): string {
    try {
      return readFileSync(this.logPath, 'utf8');
    } catch {
      return '';
    }
  }

  /** Waits until the output matches, failing early if the process exits first. */
  async waitForOutput(pattern: RegExp, timeoutMs = 10_000): Promise<RegExpExecArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = pattern.exec(this.output());
      if (m) return m;
      if (this.exit) throw new Error(`${this.name} on ${this.host} exited (${describeExit(this.exit)}) before printing ${pattern}`);
      if (Date.now() > deadline) throw new Error(`${this.name} on ${this.host} did not print ${pattern} within ${timeoutMs} ms`);
      await sleep(50);
    }
  }

  /** SIGTERM, then SIGKILL for the process and its descendants if it has not exited in time. */
  async stop(graceMs = 5000): Promise<ProcessExit> {
    if (this.running) {
      process.kill(this.pid, 'SIGTERM');
      const timedOut = await Promise.race([this.exited.then(() => false), sleep(graceMs).then(() => true)]);
      if (timedOut) await killTrees([this.pid]);
    }
    return this.exited;
  }
}

export function describeExit(e: ProcessExit): string {
  return e.signal ? `killed by ${e.signal}` : `exit ${e.code}`;
}
