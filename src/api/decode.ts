import { invalidArgument } from '../util/errors.js';

/**
 * A description of a JSON body as Docker's Go types define it, so bodies are checked like
 * Go's encoding/json does: wrong types are refused with its wording, unknown fields dropped,
 * `null` taken as "not given".
 */
export type Schema =
  | { kind: 'string' }
  | { kind: 'bool' }
  | { kind: 'int'; goType: 'int' | 'int64' | 'uint64' | 'uint32' }
  | { kind: 'float' }
  | { kind: 'array'; of: Schema }
  | { kind: 'map'; of: Schema }
  | { kind: 'struct'; name: string; fields: Record<string, Schema> }
  /** Kept as sent (parts Shoal stores but does not interpret). */
  | { kind: 'raw' };

export const str: Schema = { kind: 'string' };
export const bool: Schema = { kind: 'bool' };
export const int: Schema = { kind: 'int', goType: 'int' };
export const int64: Schema = { kind: 'int', goType: 'int64' };
export const uint64: Schema = { kind: 'int', goType: 'uint64' };
export const uint32: Schema = { kind: 'int', goType: 'uint32' };
export const float: Schema = { kind: 'float' };
export const raw: Schema = { kind: 'raw' };
export const arrayOf = (of: Schema): Schema => ({ kind: 'array', of });
export const mapOf = (of: Schema): Schema => ({ kind: 'map', of });
export const struct = (name: string, fields: Record<string, Schema>): Schema => ({ kind: 'struct', name, fields });

const INT_RANGE: Record<'int' | 'int64' | 'uint64' | 'uint32', [number, number]> = {
  int: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  uint64: [0, Number.MAX_SAFE_INTEGER],
  uint32: [0, 0xffffffff],
};

/** Checks `value` against `schema` and returns it with unknown fields and nulls dropped. */
export function decode<T>(value: unknown, schema: Schema & { kind: 'struct' }): T {
  if (!isObject(value)) throw invalidArgument(`json: cannot unmarshal ${jsonType(value)} into Go value of type ${schema.name}`);
  return decodeValue(value, schema, { struct: schema.name, path: [] }) as T;
}

interface Where {
  struct: string;
  path: string[];
}

function decodeValue(value: unknown, schema: Schema, where: Where): unknown {
  const fail = (what: string, goType: string): never => {
    const field = where.path.length > 0 ? `Go struct field ${where.struct}.${where.path.join('.')}` : `Go value`;
    throw invalidArgument(`json: cannot unmarshal ${what} into ${field} of type ${goType}`);
  };
  switch (schema.kind) {
    case 'raw':
      return value;
    case 'string':
      return typeof value === 'string' ? value : fail(jsonType(value), 'string');
    case 'bool':
      return typeof value === 'boolean' ? value : fail(jsonType(value), 'bool');
    case 'float':
      return typeof value === 'number' ? value : fail(jsonType(value), 'float64');
    case 'int': {
      if (typeof value !== 'number') return fail(jsonType(value), schema.goType);
      const [min, max] = INT_RANGE[schema.goType];
      return Number.isInteger(value) && value >= min && value <= max ? value : fail(`number ${value}`, schema.goType);
    }
    case 'array':
      if (!Array.isArray(value)) return fail(jsonType(value), `[]${goName(schema.of)}`);
      // Go decodes a null element of a slice of values as the zero value (a null port is an empty PortConfig).
      return value.map((v) => (v === null ? zeroValue(schema.of) : decodeValue(v, schema.of, where)));
    case 'map': {
      if (!isObject(value)) return fail(jsonType(value), `map[string]${goName(schema.of)}`);
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = decodeValue(v, schema.of, where);
      return out;
    }
    case 'struct': {
      if (!isObject(value)) return fail(jsonType(value), schema.name);
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) {
        // Go matches field names case-insensitively; the API's canonical spelling is kept.
        const field = Object.keys(schema.fields).find((f) => f.toLowerCase() === k.toLowerCase());
        if (field === undefined || v === null) continue;
        out[field] = decodeValue(v, schema.fields[field]!, { struct: schema.name, path: [...where.path, field] });
      }
      return out;
    }
  }
}

function zeroValue(schema: Schema): unknown {
  switch (schema.kind) {
    case 'string':
      return '';
    case 'bool':
      return false;
    case 'int':
    case 'float':
      return 0;
    case 'array':
      return [];
    case 'raw':
      return null;
    default:
      return {};
  }
}

function goName(schema: Schema): string {
  switch (schema.kind) {
    case 'int':
      return schema.goType;
    case 'float':
      return 'float64';
    case 'struct':
      return schema.name;
    case 'raw':
      return 'interface {}';
    case 'array':
      return `[]${goName(schema.of)}`;
    case 'map':
      return `map[string]${goName(schema.of)}`;
    default:
      return schema.kind;
  }
}

function jsonType(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (v === null) return 'null';
  if (typeof v === 'boolean') return 'bool';
  return typeof v === 'object' ? 'object' : typeof v;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
