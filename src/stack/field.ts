import { ComposeError, locate, type Loc, type Path } from './source.js';

const typeName = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v === 'object' ? 'a mapping' : `${typeof v} ${JSON.stringify(v)}`);

/**
 * A value of the compose document with its path, read through typed getters: a value of the
 * wrong type, or a key the section does not know, is a ComposeError naming its file, line and key.
 */
export class Field {
  constructor(
    readonly value: unknown,
    readonly path: Path,
    private readonly locs: Map<string, Loc>,
  ) {}

  fail(detail: string, sub?: string | number): never {
    const path = sub === undefined ? this.path : [...this.path, sub];
    throw new ComposeError(locate(this.locs, path), path, detail);
  }

  get(key: string | number): Field | undefined {
    const v = this.value as Record<string | number, unknown>;
    if (v === null || typeof v !== 'object' || !(key in v) || v[key] === undefined) return undefined;
    return new Field(v[key], [...this.path, key], this.locs);
  }

  /** This value as a mapping (null counts as empty, as in `networks: { default: }`). */
  map(): Field {
    if (this.value === null) return new Field({}, this.path, this.locs);
    if (typeof this.value !== 'object' || Array.isArray(this.value)) this.fail(`must be a mapping, not ${typeName(this.value)}`);
    return this;
  }

  entries(): [string, Field][] {
    const m = this.map().value as Record<string, unknown>;
    return Object.keys(m).map((k) => [k, this.get(k) ?? new Field(null, [...this.path, k], this.locs)]);
  }

  items(): Field[] {
    if (!Array.isArray(this.value)) this.fail(`must be a list, not ${typeName(this.value)}`);
    return this.value.map((_, i) => this.get(i) ?? new Field(null, [...this.path, i], this.locs));
  }

  /** Refuses keys outside `known`; returns those in `ignored` that are present (for a warning). */
  checkKeys(known: readonly string[], ignored: readonly string[] = []): string[] {
    const present = Object.keys(this.map().value as object);
    for (const k of present) {
      if (!known.includes(k) && !k.startsWith('x-') && !ignored.includes(k)) this.fail(`unknown key "${k}"; known keys here: ${known.join(', ')}`, k);
    }
    return present.filter((k) => ignored.includes(k));
  }

  string(): string {
    if (typeof this.value === 'string') return this.value;
    if (typeof this.value === 'number' || typeof this.value === 'boolean') return String(this.value);
    return this.fail(`must be a string, not ${typeName(this.value)}`);
  }

  int(min = 0): number {
    const n = typeof this.value === 'string' && /^-?\d+$/.test(this.value) ? Number(this.value) : this.value;
    if (typeof n !== 'number' || !Number.isInteger(n)) this.fail(`must be an integer, not ${typeName(this.value)}`);
    if (n < min) this.fail(`must be at least ${min}, not ${n}`);
    return n;
  }

  number(): number {
    const n = typeof this.value === 'string' && this.value.trim() !== '' ? Number(this.value) : this.value;
    if (typeof n !== 'number' || Number.isNaN(n)) this.fail(`must be a number, not ${typeName(this.value)}`);
    return n;
  }

  bool(): boolean {
    if (typeof this.value === 'boolean') return this.value;
    if (this.value === 'true' || this.value === 'false') return this.value === 'true';
    return this.fail(`must be true or false, not ${typeName(this.value)}`);
  }

  oneOf<T extends string>(allowed: readonly T[]): T {
    const s = this.string();
    if (!allowed.includes(s as T)) this.fail(`must be one of ${allowed.join(', ')}, not "${s}"`);
    return s as T;
  }

  /** A string or a list of strings, as a list. */
  stringOrList(): string[] {
    return Array.isArray(this.value) ? this.items().map((f) => f.string()) : [this.string()];
  }

  /** `KEY=value` list or mapping, as a mapping (a null value stays null: `environment: [HOME]`). */
  keyValues(): Record<string, string | null> {
    if (Array.isArray(this.value)) {
      return Object.fromEntries(this.items().map((f) => {
        const s = f.string();
        const eq = s.indexOf('=');
        return eq < 0 ? [s, null] : [s.slice(0, eq), s.slice(eq + 1)];
      }));
    }
    return Object.fromEntries(this.entries().map(([k, f]) => [k, f.value === null ? null : f.string()]));
  }

  /** `KEY=value` list or mapping where a bare key means an empty value (labels, options, sysctls). */
  stringMap(): Record<string, string> {
    return Object.fromEntries(Object.entries(this.keyValues()).map(([k, v]) => [k, v ?? '']));
  }
}
