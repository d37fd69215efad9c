import { LineCounter, isAlias, isMap, isScalar, isSeq, parseDocument, type Document, type Node } from 'yaml';
import { ShoalError } from '../util/errors.js';

/** Where a value came from: the file and the 1-based line of its key (or of the value, for list items). */
export interface Loc {
  file: string;
  line: number;
}

/** A path into the compose document, e.g. ['services', 'web', 'deploy', 'replicas']. */
export type Path = (string | number)[];

export const showPath = (path: Path): string => path.map(String).join('.');

/** A compose file as plain values, with the line of every key and list item. */
export interface SourceFile {
  file: string;
  value: unknown;
  locs: Map<string, Loc>;
}

/** A compose error: names the file, the line and the key, as `compose.yml:12: services.web.image: …`. */
export class ComposeError extends ShoalError {
  constructor(
    readonly loc: Loc | undefined,
    readonly path: Path,
    readonly detail: string,
  ) {
    const where = loc ? `${loc.file}:${loc.line}: ` : '';
    super('invalid_argument', `${where}${path.length ? `${showPath(path)}: ` : ''}${detail}`);
    this.name = 'ComposeError';
  }
}

/** The location of `path`, or of its nearest parent that has one. */
export function locate(locs: Map<string, Loc>, path: Path): Loc | undefined {
  for (let n = path.length; n >= 0; n--) {
    const loc = locs.get(showPath(path.slice(0, n)));
    if (loc) return loc;
  }
  return undefined;
}

/** Parses one compose file; a YAML syntax error names the file and line. */
export function parseSource(file: string, text: string): SourceFile {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, version: '1.1', merge: true, uniqueKeys: true, prettyErrors: false });
  const first = doc.errors[0];
  if (first) {
    const line = first.linePos?.[0].line ?? lineCounter.linePos(first.pos[0]).line;
    const message = first.message.split('\n')[0]!.replace(/ at line \d+, column \d+.*$/, '');
    throw new ComposeError({ file, line }, [], `invalid YAML: ${message}`);
  }
  const locs = new Map<string, Loc>();
  const lineOf = (n: { range?: [number, number, number] | null }): number => lineCounter.linePos(n.range?.[0] ?? 0).line;
  locs.set('', { file, line: 1 });
  const value = doc.contents ? toPlain(doc, doc.contents, [], locs, file, lineOf) : null;
  return { file, value, locs };
}

function toPlain(doc: Document, node: Node, path: Path, locs: Map<string, Loc>, file: string, lineOf: (n: Node) => number): unknown {
  if (isAlias(node)) {
    const target = node.resolve(doc);
    return target ? toPlain(doc, target, path, locs, file, lineOf) : null;
  }
  if (isScalar(node)) return node.value;
  if (isSeq(node)) {
    return node.items.map((item, i) => {
      const itemPath = [...path, i];
      locs.set(showPath(itemPath), { file, line: lineOf(item as Node) });
      return toPlain(doc, item as Node, itemPath, locs, file, lineOf);
    });
  }
  if (isMap(node)) {
    const out: Record<string, unknown> = {};
    const merged: Record<string, unknown>[] = [];
    for (const pair of node.items) {
      const keyNode = pair.key as Node | null;
      const key = keyNode && isScalar(keyNode) ? (typeof keyNode.value === 'symbol' ? '<<' : String(keyNode.value)) : String(keyNode);
      if (key === '<<') {
        // YAML merge keys (`<<: *defaults`): the anchored maps' entries, under the explicit ones.
        const sources = isSeq(pair.value) ? pair.value.items : [pair.value];
        for (const s of sources) merged.push(toPlain(doc, s as Node, path, locs, file, lineOf) as Record<string, unknown>);
        continue;
      }
      const keyPath = [...path, key];
      locs.set(showPath(keyPath), { file, line: keyNode ? lineOf(keyNode) : 1 });
      out[key] = pair.value === null ? null : toPlain(doc, pair.value as Node, keyPath, locs, file, lineOf);
    }
    for (const m of merged) for (const [k, v] of Object.entries(m ?? {})) if (!(k in out)) out[k] = v;
    return out;
  }
  return null;
}
