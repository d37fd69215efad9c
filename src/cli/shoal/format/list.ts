import { alignColumns } from './tabwriter.js';
import { executeTemplate, parseTemplate } from './template.js';

/** How a list command prints its rows, as the docker CLI's formatter does. */
export interface ListFormat {
  /** The default table, e.g. `table {{.ID}}\t{{.Name}}`. */
  table: string;
  /** Column header for each field, e.g. `{ ID: 'ID', DesiredState: 'DESIRED STATE' }`. */
  headers: Record<string, string>;
  /** What `-q` prints (default `{{.ID}}`). */
  quiet?: string;
}

/**
 * Renders rows with `--format` (empty or `table`: the default table; `table TEMPLATE`: a table of the given
 * columns; `json`: one JSON object a line; anything else: the template a line) and `-q`.
 */
export function renderList(rows: Record<string, unknown>[], spec: ListFormat, opts: { format?: string; quiet?: boolean }): string {
  let format = opts.format ?? '';
  if (format === '' || format === 'table') format = opts.quiet ? (spec.quiet ?? '{{.ID}}') : spec.table;
  if (format === 'json') format = '{{json .}}';
  const isTable = format.startsWith('table');
  const body = (isTable ? format.slice('table'.length).trimStart() : format).replaceAll('\\t', '\t').replaceAll('\\n', '\n');
  const nodes = parseTemplate(body);
  const lines = rows.map((r) => executeTemplate(nodes, r, body) + '\n');
  if (!isTable) return lines.join('');
  return alignColumns(executeTemplate(nodes, spec.headers, body) + '\n' + lines.join(''));
}

/** Go's natural sort order (sortorder.NaturalLess) as a comparator: digit runs by value, the rest byte-wise. */
export function naturalCompare(a: string, b: string): number {
  const ca = a.match(/\d+|\D+/g) ?? [];
  const cb = b.match(/\d+|\D+/g) ?? [];
  for (let i = 0; i < Math.min(ca.length, cb.length); i++) {
    const x = ca[i]!;
    const y = cb[i]!;
    if (x === y) continue;
    if (/^\d/.test(x) && /^\d/.test(y)) {
      const d = Number(x) - Number(y);
      if (d !== 0) return d;
      return x.length - y.length;
    }
    return x < y ? -1 : 1;
  }
  return ca.length - cb.length;
}
