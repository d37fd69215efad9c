import { watch, type FSWatcher } from 'node:fs';
import { EXIT_FILE, type ExitRecord, type PidRecord, type TaskDir } from './task-dir.js';
import { isRunning } from './proc.js';

/** How often a waiter checks, besides inotify, that the supervisor still lives (it may be killed without a word). */
const LIVENESS_POLL_MS = 1000;

/**
 * Resolves when a task's exit record appears (inotify on the task dir, so it is prompt, also for tasks
 * adopted after a restart). A supervisor gone without a record ends the wait with exit code 255.
 * While it waits, its inotify watch keeps the Node process alive, as any pending I/O does.
 */
export class ExitWatch {
  readonly exited: Promise<ExitRecord>;
  private resolve!: (exit: ExitRecord) => void;
  private watcher?: FSWatcher;
  private readonly timer: NodeJS.Timeout;
  private done = false;

  constructor(
    private readonly dir: TaskDir,
    private readonly pids: PidRecord | undefined,
  ) {
    this.exited = new Promise((r) => (this.resolve = r));
    try {
      this.watcher = watch(dir.path, (_event, name) => name === EXIT_FILE && this.check());
      this.watcher.on('error', () => this.check());
    } catch {
      // the dir is gone: the check below settles it
    }
    this.timer = setInterval(() => this.check(), LIVENESS_POLL_MS);
    this.timer.unref();
    this.check();
  }

  /** Looks again now: when the daemon saw its own supervisor exit. */
  check(): void {
    if (!this.done) void this.settle();
  }

  close(): void {
    this.done = true;
    this.watcher?.close();
    clearInterval(this.timer);
  }

  private async settle(): Promise<void> {
    let exit = await this.dir.readExit().catch(() => undefined);
    if (!exit && !(this.pids && (await isRunning(this.pids.supervisorPid, this.pids.supervisorStart)))) {
      // The supervisor writes the record before it exits: read once more to close that race.
      exit = (await this.dir.readExit().catch(() => undefined)) ?? {
        exitCode: 255,
        finishedAt: new Date().toISOString(),
        error: 'the task supervisor is gone and left no exit code',
        lost: true,
      };
    }
    if (!exit || this.done) return;
    this.close();
    this.resolve(exit);
  }
}
