import type { SecretObject } from '../../cluster/types.js';

/** A secret as the Engine API shows it: its data never leaves the store. */
export function shapeSecret(secret: SecretObject): object {
  const { Data: _data, ...spec } = secret.Spec;
  return { ...secret, Spec: spec };
}
