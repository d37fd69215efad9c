import type { SourceFile } from './source.js';

/** Lists that later files add to (by value) instead of replacing, as Docker merges them. */
const UNION_LISTS = new Set(['ports', 'secrets', 'configs', 'volumes']);
/** Lists of `KEY=value` that merge by key. */
const KEYED_LISTS = new Set(['environment', 'labels']);

const isObject = (v: unknown): v is Record<string, unknown> => Boolean(v) && typeof v === 'object' && !Array.isArray(v);

function asMap(v: unknown): Record<string, unknown> | undefined {
  if (isObject(v)) return v;
  if (!Array.isArray(v)) return undefined;
  return Object.fromEntries(v.map((item) => {
    const s = String(item);
    const eq = s.indexOf('=');
    return eq < 0 ? [s, null] : [s.slice(0, eq), s.slice(eq + 1)];
  }));
}

function mergeValue(key: string, base: unknown, over: unknown): unknown {
  if (over === undefined) return base;
  if (KEYED_LISTS.has(key)) {
    const a = asMap(base);
    const b = asMap(over);
    if (a && b) return { ...a, ...b };
  }
  if (UNION_LISTS.has(key) && Array.isArray(base) && Array.isArray(over)) {
    const seen = new Set(over.map((x) => JSON.stringify(x)));
    return [...base.filter((x) => !seen.has(JSON.stringify(x))), ...over];
  }
  if (isObject(base) && isObject(over)) {
    const out: Record<string, unknown> = { ...base };
    for (const [k, v] of Object.entries(over)) out[k] = mergeValue(k, base[k], v);
    return out;
  }
  return over;
}

/** `-c a.yml -c b.yml`: later files override earlier ones key by key; a key's location is the file that set it last. */
export function mergeSources(files: SourceFile[]): SourceFile {
  const [first, ...rest] = files;
  if (!first) throw new Error('mergeSources needs at least one file');
  return rest.reduce<SourceFile>(
    (acc, f) => ({
      file: acc.file,
      value: mergeValue('', acc.value, f.value),
      locs: new Map([...acc.locs, ...[...f.locs].filter(([k]) => k !== '')]),
    }),
    first,
  );
}
