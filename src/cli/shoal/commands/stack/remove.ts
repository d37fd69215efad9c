import type { Context } from '../../command.js';
import { naturalCompare } from '../../format/list.js';
import { stackObjects, type Doc } from './api.js';

/**
 * `stack rm NAME`: services, then secrets, configs and networks, as docker stack rm does; a
 * failed removal is reported and the rest still removed. Resolves to false when anything failed.
 */
export async function removeStack(ctx: Context, stack: string): Promise<boolean> {
  const kinds = ['services', 'secrets', 'configs', 'networks'] as const;
  const found = await Promise.all(kinds.map((k) => stackObjects(ctx.client, stack, k)));
  if (found.every((list) => list.length === 0)) {
    ctx.err.write(`Nothing found in stack: ${stack}\n`);
    return true;
  }
  const name = (o: Doc): string => o.Spec?.Name ?? o.Name;
  let ok = true;
  for (const [i, kind] of kinds.entries()) {
    for (const o of found[i]!.sort((a, b) => naturalCompare(name(a), name(b)))) {
      const noun = kind.slice(0, -1);
      ctx.out.write(`Removing ${noun} ${name(o)}\n`);
      await ctx.client.delete(`/${kind}/${o.ID ?? o.Id}`).catch((e: unknown) => {
        ctx.err.write(`Failed to remove ${noun} ${name(o)}: ${(e as Error).message}\n`);
        ok = false;
      });
    }
  }
  return ok;
}
