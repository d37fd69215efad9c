/** What the process-wide safety net needs of a lab. */
interface LiveLab {
  destroy(): Promise<void>;
  startedPids(): number[];
}

const live = new Set<LiveLab>();
let installed = false;

/**
 * Registers a lab for cleanup when the test process is interrupted: SIGINT/SIGTERM destroy every
 * live lab before exiting; a plain exit with labs still up kills their processes (synchronously,
 * all that an exit hook can do) and leaves the rest to the next run's leftover sweep.
 */
export function trackLab(lab: LiveLab): void {
  live.add(lab);
  if (installed) return;
  installed = true;
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    process.once(signal, () => {
      void Promise.allSettled([...live].map((l) => l.destroy())).then(() => process.exit(code));
    });
  }
  process.on('exit', () => {
    for (const l of live) {
      for (const pid of l.startedPids()) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
  });
}

export function untrackLab(lab: LiveLab): void {
  live.delete(lab);
}
