import { createLab, type Lab, type LabOptions } from './lab.js';

export interface WithLabOptions extends LabOptions {
  /** Where the processes' logs go when `fn` fails; stderr by default. */
  onFailureLogs?: (text: string) => void;
}

/**
 * Runs `fn` with a fresh lab and always destroys it afterwards; when `fn` throws, the output of
 * every process started in the lab is printed first.
 */
export async function withLab<T>(opts: WithLabOptions, fn: (lab: Lab) => Promise<T>): Promise<T> {
  const lab = await createLab(opts);
  try {
    return await fn(lab);
  } catch (err) {
    lab.dumpLogs(opts.onFailureLogs);
    throw err;
  } finally {
    await lab.destroy();
  }
}
