import { ShoalError } from '../../../util/errors.js';

/**
 * The part of Go's text/template that `--format` strings use: text, `{{.Field.Path}}`, `{{.}}`,
 * `{{if}}/{{else}}/{{else if}}/{{end}}`, `{{range .List}}...{{end}}` and the docker CLI's functions (`json`,
 * `upper`, `lower`, `title`, `join`, `split`, `truncate`, `pad`, `println`), with `{{-` / `-}}` trimming.
 * Values print as Go prints them (maps as `map[k:v]`, lists as `[a b]`).
 */
type Arg = { kind: 'path'; path: string[] } | { kind: 'string'; value: string } | { kind: 'number'; value: number };
type Call = { fn?: string; args: Arg[] };
type Node =
  | { kind: 'text'; text: string }
  | { kind: 'call'; call: Call }
  | { kind: 'if'; cond: Call; then: Node[]; else: Node[] }
  | { kind: 'range'; over: Call; body: Node[] };

const badTemplate = (format: string, why: string): ShoalError => new ShoalError('invalid_argument', `template parsing error: template: ${format}: ${why}`);

/** Splits a format into text and action tokens, applying `{{-` and `-}}`. */
function tokenize(format: string): ({ text: string } | { action: string })[] {
  const tokens: ({ text: string } | { action: string })[] = [];
  let rest = format;
  while (rest.length > 0) {
    const open = rest.indexOf('{{');
    if (open < 0) {
      tokens.push({ text: rest });
      break;
    }
    let text = rest.slice(0, open);
    const close = rest.indexOf('}}', open);
    if (close < 0) throw badTemplate(format, 'unclosed action');
    let action = rest.slice(open + 2, close);
    rest = rest.slice(close + 2);
    if (/^-\s/.test(action)) {
      text = text.trimEnd();
      action = action.slice(1);
    }
    if (/\s-$/.test(action)) {
      action = action.slice(0, -1);
      rest = rest.trimStart();
    }
    if (text) tokens.push({ text });
    tokens.push({ action: action.trim() });
  }
  return tokens;
}

export function parseTemplate(format: string): Node[] {
  const tokens = tokenize(format);
  let i = 0;
  // Parses nodes until {{end}} / {{else...}}; returns the nodes and the token that stopped it.
  const block = (): { nodes: Node[]; stop?: string } => {
    const nodes: Node[] = [];
    while (i < tokens.length) {
      const t = tokens[i++]!;
      if ('text' in t) {
        nodes.push({ kind: 'text', text: t.text });
        continue;
      }
      const a = t.action;
      if (a === 'end' || a === 'else' || a.startsWith('else ')) return { nodes, stop: a };
      if (a.startsWith('if ')) nodes.push(ifNode(a.slice(3)));
      else if (a.startsWith('range ')) {
        const body = block();
        if (body.stop !== 'end') throw badTemplate(format, 'unexpected EOF in range');
        nodes.push({ kind: 'range', over: parseCall(format, a.slice(6)), body: body.nodes });
      } else nodes.push({ kind: 'call', call: parseCall(format, a) });
    }
    return { nodes };
  };
  const ifNode = (cond: string): Node => {
    const then = block();
    if (then.stop === 'end') return { kind: 'if', cond: parseCall(format, cond), then: then.nodes, else: [] };
    if (then.stop === 'else') {
      const otherwise = block();
      if (otherwise.stop !== 'end') throw badTemplate(format, 'unexpected EOF in if');
      return { kind: 'if', cond: parseCall(format, cond), then: then.nodes, else: otherwise.nodes };
    }
    if (then.stop?.startsWith('else if ')) return { kind: 'if', cond: parseCall(format, cond), then: then.nodes, else: [ifNode(then.stop.slice(8))] };
    throw badTemplate(format, 'unexpected EOF in if');
  };
  const { nodes, stop } = block();
  if (stop) throw badTemplate(format, `unexpected {{${stop}}}`);
  return nodes;
}

function parseCall(format: string, action: string): Call {
  const words = action.match(/"(?:[^"\\]|\\.)*"|\S+/g) ?? [];
  if (words.length === 0) throw badTemplate(format, 'missing value for command');
  const arg = (w: string): Arg => {
    if (w.startsWith('"')) return { kind: 'string', value: JSON.parse(w) as string };
    if (/^-?\d+(\.\d+)?$/.test(w)) return { kind: 'number', value: Number(w) };
    if (w === '.') return { kind: 'path', path: [] };
    if (w.startsWith('.')) return { kind: 'path', path: w.slice(1).split('.') };
    throw badTemplate(format, `function "${w}" not defined`);
  };
  if (words[0]!.startsWith('.') || words[0]!.startsWith('"')) {
    if (words.length > 1) throw badTemplate(format, `can't give argument to non-function ${words[0]}`);
    return { args: [arg(words[0]!)] };
  }
  const [fn, ...args] = words;
  if (!(fn! in FUNCTIONS)) throw badTemplate(format, `function "${fn}" not defined`);
  return { fn, args: args.map(arg) };
}

const FUNCTIONS: Record<string, (...args: unknown[]) => string> = {
  json: (v) => goJson(v),
  upper: (v) => goPrint(v).toUpperCase(),
  lower: (v) => goPrint(v).toLowerCase(),
  title: (v) => goPrint(v).replace(/\b\w/g, (c) => c.toUpperCase()),
  join: (v, sep) => (Array.isArray(v) ? v.map(goPrint).join(String(sep)) : goPrint(v)),
  split: (v, sep) => goPrint(goPrint(v).split(String(sep))),
  truncate: (v, n) => [...goPrint(v)].slice(0, Number(n)).join(''),
  pad: (v, l, r) => ' '.repeat(Number(l)) + goPrint(v) + ' '.repeat(Number(r)),
  println: (...vs) => vs.map(goPrint).join(' ') + '\n',
};

function lookup(value: unknown, path: string[], format: string): unknown {
  let v = value;
  for (const key of path) {
    if (v === null || v === undefined) return undefined;
    if (typeof v !== 'object') throw badTemplate(format, `can't evaluate field ${key} in type ${typeof v}`);
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}

/** How `json` orders keys: sorted, as Go marshals the maps the docker CLI decodes most documents into, or as received (typed structs: info, version). */
export interface TemplateOptions {
  keepKeyOrder?: boolean;
}

function evaluate(call: Call, data: unknown, format: string, opts: TemplateOptions): unknown {
  const args = call.args.map((a) => (a.kind === 'path' ? lookup(data, a.path, format) : a.value));
  if (call.fn === 'json' && opts.keepKeyOrder) return goJson(args[0], false);
  return call.fn ? FUNCTIONS[call.fn]!(...args) : args[0];
}

/** Go's truth: false, 0, nil and empty strings, lists and maps are false. */
function truthy(v: unknown): boolean {
  if (Array.isArray(v)) return v.length > 0;
  if (v && typeof v === 'object') return Object.keys(v).length > 0;
  return !!v;
}

export function executeTemplate(nodes: Node[], data: unknown, format = '', opts: TemplateOptions = {}): string {
  let out = '';
  for (const n of nodes) {
    if (n.kind === 'text') out += n.text;
    else if (n.kind === 'call') out += goPrint(evaluate(n.call, data, format, opts));
    else if (n.kind === 'if') out += executeTemplate(truthy(evaluate(n.cond, data, format, opts)) ? n.then : n.else, data, format, opts);
    else {
      const over = evaluate(n.over, data, format, opts);
      const items = Array.isArray(over) ? over : over && typeof over === 'object' ? Object.keys(over).sort().map((k) => (over as Record<string, unknown>)[k]) : [];
      for (const item of items) out += executeTemplate(n.body, item, format, opts);
    }
  }
  return out;
}

/** A value as Go's fmt prints what encoding/json decoded into interface{}. */
export function goPrint(v: unknown): string {
  if (v === undefined || v === null) return '<no value>';
  if (typeof v === 'number') return goNumber(v);
  if (Array.isArray(v)) return `[${v.map(goPrint).join(' ')}]`;
  if (typeof v === 'object') return `map[${Object.keys(v).sort().map((k) => `${k}:${goPrint((v as Record<string, unknown>)[k])}`).join(' ')}]`;
  return String(v);
}

/** Go's %v of a float64 (strconv 'g', shortest): exponent form when the exponent is < -4 or >= 6. */
function goNumber(n: number): string {
  if (n === 0) return '0';
  const [mantissa, e] = n.toExponential().split('e') as [string, string];
  const exp = Number(e);
  if (exp < -4 || exp >= 6) return `${mantissa}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  return String(n);
}

/** Go's json.Marshal of a decoded value: map keys sorted, `<>&` escaped, no spaces. */
export function goJson(v: unknown, sorted = true): string {
  return JSON.stringify((sorted ? sortKeys(v) : v) ?? null).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]));
  return v;
}
