// The grammar of docker/distribution's reference package: [domain/]path[:tag][@digest].
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN = /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*(?::[0-9]+)?$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;
const NAME_MAX = 255;

/** Whether `ref` is an image reference Docker accepts (`ContainerSpec: "x" is not a valid repository/tag` otherwise). */
export function isValidImageReference(ref: string): boolean {
  let rest = ref;
  const at = rest.indexOf('@');
  if (at >= 0) {
    if (!DIGEST.test(rest.slice(at + 1))) return false;
    rest = rest.slice(0, at);
  }
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    if (!TAG.test(rest.slice(colon + 1))) return false;
    rest = rest.slice(0, colon);
  }
  // A 64-hex name would be mistaken for an image ID.
  if (rest === '' || rest.length > NAME_MAX || /^[a-f0-9]{64}$/.test(rest)) return false;
  const parts = rest.split('/');
  const first = parts[0]!;
  // Like Docker, the first part is a registry host only if it looks like one.
  if (parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost')) {
    if (!DOMAIN.test(first)) return false;
    parts.shift();
  }
  return parts.every((p) => COMPONENT.test(p));
}
