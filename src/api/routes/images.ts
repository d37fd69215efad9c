import { ShoalError, notFound } from '../../util/errors.js';
import type { RequestContext } from '../context.js';
import { sendJson } from '../http.js';
import type { Route } from '../router.js';

/**
 * `POST /images/create`: `docker import` streams a root filesystem tarball here
 * (`fromSrc=-`). Shoal has no registry access, so a pull only succeeds for an image it has.
 */
async function create(ctx: RequestContext): Promise<void> {
  const { query, backend } = ctx;
  const fromSrc = query.get('fromSrc');
  const fromImage = query.get('fromImage');
  const tag = query.get('tag') ?? '';
  let status: string;
  if (fromSrc === '-') {
    const repo = query.get('repo') ?? '';
    const image = await backend.images.importImage(ctx.req, repo ? (tag ? `${repo}:${tag}` : repo) : undefined);
    status = image.Id;
  } else if (fromSrc) {
    throw new ShoalError('not_implemented', `importing from a URL (${fromSrc}) is not supported: download the tarball and pipe it to "docker import - <name>"`);
  } else if (fromImage) {
    const ref = tag ? `${fromImage}:${tag}` : fromImage;
    if (!(await backend.images.resolve(ref))) {
      throw notFound(`image ${ref} is not here and Shoal does not pull from registries: load it with "docker import <rootfs.tar> ${ref}"`);
    }
    status = `Status: Image is up to date for ${ref}`;
  } else {
    throw new ShoalError('invalid_argument', 'give fromSrc=- with the tarball as the body (docker import), or fromImage');
  }
  // Docker's progress stream: JSON messages, each ending in CRLF.
  ctx.res.writeHead(200, { 'Content-Type': 'application/json' });
  ctx.res.end(`${JSON.stringify({ status })}\r\n`);
}

async function list(ctx: RequestContext): Promise<void> {
  const images = await ctx.backend.images.list();
  sendJson(
    ctx.res,
    200,
    images.map((i) => ({
      Containers: -1,
      Created: i.Created,
      Id: i.Id,
      Labels: null,
      ParentId: '',
      RepoDigests: [],
      RepoTags: i.RepoTags,
      SharedSize: -1,
      Size: i.Size,
      VirtualSize: i.Size,
    })),
  );
}

/**
 * `GET /distribution/{name}/json`, which the CLI calls to pin an image's digest before a
 * service create or update. Imported images have no registry digest: the CLI warns and goes on.
 */
async function distribution(ctx: RequestContext): Promise<void> {
  const name = ctx.params['name']!;
  const image = await ctx.backend.images.resolve(name);
  if (!image?.digest) throw notFound(`image ${name} has no registry digest: Shoal runs local images (docker import) by their tag`);
  sendJson(ctx.res, 200, {
    Descriptor: { mediaType: 'application/vnd.docker.distribution.manifest.v2+json', digest: image.digest, size: 0 },
    Platforms: [{ architecture: process.arch === 'x64' ? 'amd64' : process.arch, os: 'linux' }],
  });
}

export const imageRoutes: Route[] = [
  { method: 'POST', pattern: '/images/create', handler: create },
  { method: 'GET', pattern: '/images/json', handler: list },
  { method: 'GET', pattern: '/distribution/{name*}/json', handler: distribution },
];
