import { readFile, writeFile } from 'node:fs/promises';
import type { Logger } from '../../util/logger.js';

/**
 * Sets sysctls of this network namespace, logging the ones that change. New namespaces copy some
 * values from the root namespace, so every value relied on is written explicitly (dataplane-lab §9.1).
 */
export async function setSysctls(values: Record<string, string | number>, log: Logger): Promise<void> {
  for (const [key, value] of Object.entries(values)) {
    const path = `/proc/sys/${key.replaceAll('.', '/')}`;
    const before = (await readFile(path, 'utf8')).trim();
    if (before === String(value)) continue;
    await writeFile(path, String(value));
    log.info({ sysctl: key, from: before, to: value }, 'set sysctl');
  }
}
