import { ComposeError, locate, type Path, type SourceFile } from './source.js';

/** Docker's pattern: `$$`, `$NAME`, `${NAME}`, `${NAME:-default}`, `${NAME-default}`, `${NAME:?err}`, `${NAME?err}`; any other `$` is an error. */
const PATTERN = /\$(?:(\$)|([_a-z][_a-z0-9]*)|\{([_a-z][_a-z0-9]*)(?:(:?[-?])([^}]*))?\}|())/gi;

export type Lookup = (name: string) => string | undefined;

/**
 * Substitutes variables in one string. Throws a plain Error whose message says what is wrong
 * (the caller adds where).
 */
export function interpolateString(text: string, lookup: Lookup): string {
  return text.replace(PATTERN, (_m, escaped: string | undefined, bare: string | undefined, name: string | undefined, op: string | undefined, arg: string | undefined, invalid: string | undefined) => {
    if (escaped) return '$';
    if (invalid !== undefined) throw new Error(`invalid interpolation format in "${text}": escape a literal $ as $$`);
    const key = (bare ?? name)!;
    const value = lookup(key);
    switch (op) {
      case undefined:
        return value ?? '';
      case ':-':
        return value ? value : arg!;
      case '-':
        return value ?? arg!;
      case ':?':
        if (!value) throw new Error(`required variable ${key} is missing a value${arg ? `: ${arg}` : ''}`);
        return value;
      default: // '?'
        if (value === undefined) throw new Error(`required variable ${key} is missing a value${arg ? `: ${arg}` : ''}`);
        return value;
    }
  });
}

/** Substitutes variables in every string value of a file (keys are left alone, as Docker does). */
export function interpolate(src: SourceFile, lookup: Lookup): SourceFile {
  const walk = (v: unknown, path: Path): unknown => {
    if (typeof v === 'string') {
      try {
        return interpolateString(v, lookup);
      } catch (err) {
        throw new ComposeError(locate(src.locs, path), path, (err as Error).message);
      }
    }
    if (Array.isArray(v)) return v.map((x, i) => walk(x, [...path, i]));
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, [...path, k])]));
    return v;
  };
  return { ...src, value: walk(src.value, []) };
}
