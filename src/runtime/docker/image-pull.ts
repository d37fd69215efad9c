import type Docker from 'dockerode';
import type { Logger } from '../../util/logger.js';
import { ShoalError } from '../../util/errors.js';
import { imageIdPrefix, parseImageRef } from '../images/image-ref.js';
import { engineError, engineMessage, engineStatus, progressError } from './engine.js';

/**
 * Makes sure the engine has `ref`: the local image when there is one, else a pull. A failed pull is
 * a not_found error that carries the engine's own message (registry unreachable, unknown repository,
 * denied), so the task's status says why. `registryAuth` (`--with-registry-auth`) goes to the engine
 * as X-Registry-Auth, as the CLI encoded it.
 */
export async function ensureImage(docker: Docker, ref: string, log: Logger, registryAuth?: string): Promise<void> {
  try {
    await docker.getImage(ref).inspect();
    return;
  } catch (err) {
    if (engineStatus(err) !== 404) throw engineError(`inspecting image "${ref}"`, err);
  }
  if (imageIdPrefix(ref)) throw new ShoalError('not_found', `No such image: ${ref} (an image ID cannot be pulled)`);
  const { repository, tag, digest } = parseImageRef(ref);
  log.info({ image: ref, withRegistryAuth: Boolean(registryAuth) }, 'image not on this host: pulling it');
  const started = Date.now();
  let failure: string | undefined;
  try {
    const auth = registryAuth ? { base64: registryAuth } : undefined;
    failure = await progressError(await docker.createImage(auth, { fromImage: repository, tag: digest ?? tag }));
  } catch (err) {
    failure = engineMessage(err);
  }
  if (failure) throw new ShoalError('not_found', `image "${ref}" is not on this host and pulling it failed: ${failure}`);
  log.info({ image: ref, ms: Date.now() - started }, 'image pulled');
}
