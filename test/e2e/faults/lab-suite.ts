import { createLab, type Lab } from '../../lab/index.js';
import { dockerOn, startShoalds, type ShoaldInHost } from '../shoald-harness.js';
import type { Run } from './cluster-checks.js';

/**
 * One lab cluster shared by the tests of a file: the lab, a shoald per host and the docker CLI
 * against each; a failed test marks it so the daemons' logs are printed at the end, and the
 * measured lines noted along the way are printed again as a summary.
 */
export class LabSuite {
  lab!: Lab;
  hosts!: Record<string, ShoaldInHost>;
  private cli!: Run;
  private failed = false;
  private readonly lines: string[] = [];

  constructor(private readonly title: string) {}

  /** A lab of `names.length` hosts, a shoald started on each (with `extraArgs`). */
  async start(names: string[], extraArgs: string[] = []): Promise<void> {
    this.lab = await createLab({ hosts: names.length });
    this.hosts = await startShoalds(this.lab, names, extraArgs);
    this.cli = dockerOn(this.hosts);
  }

  /** The docker CLI against a host's shoald: its stdout (throws on failure). */
  readonly run: Run = (host, ...args) => this.cli(host, ...args);

  /** Runs a test's body; a failure marks the suite so the logs are printed. */
  async guarded(fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      this.failed = true;
      throw err;
    }
  }

  /** A measured line, printed now (`# …`, as the test runner's own comments) and in the summary. */
  note(line: string): void {
    this.lines.push(`# ${line}`);
    process.stdout.write(`# ${line}\n`);
  }

  async finish(): Promise<void> {
    if (this.failed) this.lab?.dumpLogs();
    await this.lab?.destroy();
    if (this.lines.length) process.stdout.write(`# ${this.title}\n${this.lines.join('\n')}\n`);
  }
}
