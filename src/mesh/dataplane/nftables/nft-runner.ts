import { openLibnftables } from '../../../../native/nftables.js';
import { ShoalError, errorMessage } from '../../../util/errors.js';
import { exec } from '../../../util/exec.js';
import type { Logger } from '../../../util/logger.js';

/** Runs batches of nft commands, each one transaction, in this process's network namespace. */
export interface NftRunner {
  readonly via: 'libnftables' | 'nft';
  /** Throws a ShoalError with nft's message when the batch is refused (then nothing changed). */
  run(commands: string, opts?: { dryRun?: boolean }): Promise<void>;
  close(): void;
}

/** nft echoes the offending line, which may hold 10,000 elements. */
const MAX_ERROR = 2000;
const refused = (error: string): ShoalError =>
  new ShoalError('internal', `nft refused the batch: ${error.length > MAX_ERROR ? `${error.slice(0, MAX_ERROR)}…` : error.trim()}`);

export type NftVia = NftRunner['via'];

/**
 * libnftables in process (about 100× faster than spawning nft for small changes); the `nft`
 * command when asked for, or when the library cannot be loaded.
 */
export function openNftRunner(log: Logger, via: NftVia = 'libnftables'): NftRunner {
  if (via === 'libnftables') {
    try {
      return libnftablesRunner();
    } catch (err) {
      log.warn({ err: errorMessage(err) }, 'libnftables cannot be loaded; running the nft command instead');
    }
  }
  return nftCommandRunner();
}

function libnftablesRunner(): NftRunner {
  const lib = openLibnftables();
  return {
    via: 'libnftables',
    async run(commands, opts) {
      const res = await lib.run(commands, opts);
      if (!res.ok) throw refused(res.error);
    },
    close: () => lib.close(),
  };
}

function nftCommandRunner(): NftRunner {
  return {
    via: 'nft',
    async run(commands, opts) {
      const res = await exec('nft', [...(opts?.dryRun ? ['-c'] : []), '-f', '-'], { input: commands, allowFail: true });
      if (res.code !== 0) throw refused(res.stderr);
    },
    close: () => undefined,
  };
}
