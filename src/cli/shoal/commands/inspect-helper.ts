import type { Context } from '../command.js';
import { ApiError } from '../engine-client.js';
import { renderInspect } from '../format/inspect.js';
import { ShoalError } from '../../../util/errors.js';

/**
 * Inspects each reference like the docker CLI: prints what was found (as the daemon sent it, or through
 * `--format`), then fails naming what was not (`no such service: web`).
 */
export async function inspectEach(ctx: Context, refs: string[], kind: string, fetch: (ref: string) => Promise<unknown>, format: string | undefined, typed = false): Promise<number> {
  const found: unknown[] = [];
  const missing: string[] = [];
  for (const ref of refs) {
    try {
      const doc = await fetch(ref);
      found.push(typed ? goTimes(doc) : doc);
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) missing.push(ref);
      else throw err;
    }
  }
  ctx.out.write(renderInspect(found, format, { keepKeyOrder: typed }));
  if (missing.length) throw new ShoalError('not_found', missing.map((m) => `Error: no such ${kind}: ${m}`).join('\n'));
  return 0;
}

/**
 * Timestamps as Go writes them (no trailing zeros in the fraction): the docker CLI re-encodes nodes and
 * services from its own types rather than printing the daemon's bytes (`typed` in inspectEach).
 */
function goTimes(v: unknown): unknown {
  if (typeof v === 'string') return /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z$/.test(v) ? v.replace(/\.?0+Z$/, 'Z') : v;
  if (Array.isArray(v)) return v.map(goTimes);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, goTimes(x)]));
  return v;
}

/** Removes each reference, printing it as the docker CLI does; failures are listed at the end. */
export async function removeEach(ctx: Context, refs: string[], remove: (ref: string) => Promise<void>): Promise<number> {
  const errors: string[] = [];
  for (const ref of refs) {
    try {
      await remove(ref);
      ctx.out.write(`${ref}\n`);
    } catch (err) {
      errors.push((err as Error).message);
    }
  }
  if (errors.length) throw new ShoalError('internal', errors.join('\n'));
  return 0;
}
