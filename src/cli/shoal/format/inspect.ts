import { executeTemplate, goJson, parseTemplate, type TemplateOptions } from './template.js';

/**
 * What `inspect` prints for the objects found: the daemon's JSON as an indented array (no format),
 * one compact JSON document a line (`json`), or the template once per object.
 */
export function renderInspect(items: unknown[], format: string | undefined, opts: TemplateOptions = {}): string {
  if (!format) return items.length === 0 ? '[]\n' : JSON.stringify(items, null, 4) + '\n';
  if (format === 'json') return items.map((i) => goJson(i, !opts.keepKeyOrder) + '\n').join('');
  const body = format.replaceAll('\\t', '\t').replaceAll('\\n', '\n');
  const nodes = parseTemplate(body);
  return items.map((i) => executeTemplate(nodes, i, body, opts) + '\n').join('');
}
