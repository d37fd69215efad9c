import { invalidArgument } from '../../util/errors.js';

/** An image reference in Docker's familiar form: `busybox`, `myregistry:5000/team/app`. */
export interface ImageRef {
  repository: string;
  tag: string;
  /** `sha256:<hex>` when the reference pinned one; imported images have no registry digest, so it is not checked. */
  digest?: string;
}

const DEFAULT_TAG = 'latest';
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[0-9a-fA-F]{32,}$/;
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN = /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*(?::[0-9]+)?$/;
const DOCKER_HUB = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

/**
 * Parses a reference the way Docker normalises it: the tag defaults to `latest`, Docker Hub's
 * `docker.io/library/` is dropped, a digest is kept apart. Throws invalid_argument with Docker's wording.
 */
export function parseImageRef(ref: string): ImageRef {
  const invalid = (why: string) => invalidArgument(`invalid reference format${why}: "${ref}"`);
  let rest = ref.trim();
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw invalid(' (bad digest)');
  }
  let tag = DEFAULT_TAG;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw invalid(' (bad tag)');
  }
  const parts = rest.split('/');
  const first = parts[0] ?? '';
  const hasDomain = parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (hasDomain && !DOMAIN.test(first)) throw invalid(' (bad registry)');
  const path = hasDomain ? parts.slice(1) : parts;
  if (path.length === 0 || path.some((p) => !PATH_COMPONENT.test(p))) {
    throw invalid(path.some((p) => PATH_COMPONENT.test(p.toLowerCase())) ? ': repository name must be lowercase' : '');
  }
  const hub = !hasDomain || DOCKER_HUB.has(first);
  if (hub && path.length === 2 && path[0] === 'library') path.shift();
  const repository = hub ? path.join('/') : `${first}/${path.join('/')}`;
  return digest === undefined ? { repository, tag } : { repository, tag, digest };
}

/** `repository:tag`, the key images are tagged under. */
export const repoTag = (ref: ImageRef): string => `${ref.repository}:${ref.tag}`;

/** Whether a reference names an image by its ID (`sha256:<hex>` or a hex prefix of at least 12 digits). */
export function imageIdPrefix(ref: string): string | undefined {
  const m = /^(?:sha256:)?([0-9a-f]{12,64})$/.exec(ref);
  return m?.[1];
}
