import type { Context } from '../../command.js';
import { ApiError } from '../../engine-client.js';
import { ShoalError } from '../../../../util/errors.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- Engine API documents are read field by field */
export type Doc = Record<string, any>;

/** The service named or identified by `ref` (the daemon resolves names, IDs and ID prefixes). */
export async function getService(ctx: Context, ref: string, insertDefaults = false): Promise<Doc> {
  try {
    return await ctx.client.get<Doc>(`/services/${encodeURIComponent(ref)}`, { insertDefaults });
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) throw new ShoalError('not_found', `Error: no such service: ${ref}`);
    throw err;
  }
}

/** Image display as `service ls` shows it: a tagged reference loses its digest and the default registry. */
export function familiarImage(image: string): string {
  const [name, digest] = image.split('@');
  if (digest === undefined || !/:[^/]+$/.test(name!)) return image;
  return name!.replace(/^docker\.io\/(library\/)?/, '');
}

/** An image reference with no tag or digest gets `:latest`, as the docker CLI pins it before sending a spec. */
export function withDefaultTag(image: string): string {
  const lastPart = image.slice(image.lastIndexOf('/') + 1);
  return image.includes('@') || lastPart.includes(':') ? image : `${image}:latest`;
}
