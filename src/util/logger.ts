import { pino, destination, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

/** The root logger: pino JSON on stderr, so stdout stays free for what a command prints. */
export function createLogger(level: LevelWithSilent = 'info', name = 'shoald'): Logger {
  return pino({ name, level, base: { pid: process.pid } }, destination({ fd: 2, sync: true }));
}

/** A logger that drops everything: for unit tests of logic. */
export const silentLogger: Logger = pino({ level: 'silent' });
