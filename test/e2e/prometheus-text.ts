/**
 * A strict parser of the Prometheus text exposition format 0.0.4, for tests: it refuses what
 * Prometheus would refuse (bad names, label syntax, values; samples without or before their
 * TYPE; a family split in two; repeated series) and checks the conventions we promise (counters
 * end in _total; histograms have cumulative buckets ending in +Inf equal to _count).
 */
export interface ParsedSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface ParsedFamily {
  name: string;
  type: string;
  help: string;
  samples: ParsedSample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function parseValue(text: string, line: string): number {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (text === 'NaN') return NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) throw new Error(`bad value in: ${line}`);
  return Number(text);
}

function parseLabels(text: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  let i = 0;
  while (i < text.length) {
    const eq = text.indexOf('=', i);
    const key = text.slice(i, eq);
    if (eq < 0 || !LABEL.test(key) || text[eq + 1] !== '"') throw new Error(`bad label at ${i} in: ${line}`);
    let j = eq + 2;
    let value = '';
    for (; j < text.length && text[j] !== '"'; j++) {
      if (text[j] === '\\') {
        const next = text[++j];
        value += next === 'n' ? '\n' : next === '\\' ? '\\' : next === '"' ? '"' : (() => { throw new Error(`bad escape in: ${line}`); })();
      } else value += text[j];
    }
    if (j >= text.length) throw new Error(`unterminated label value in: ${line}`);
    if (Object.hasOwn(labels, key)) throw new Error(`repeated label ${key} in: ${line}`);
    labels[key] = value;
    i = j + 1;
    if (text[i] === ',') i++;
    else if (i < text.length) throw new Error(`expected , after label in: ${line}`);
  }
  return labels;
}

const baseName = (name: string, type: string): string => (type === 'histogram' ? name.replace(/_(bucket|sum|count)$/, '') : name);

export function parsePrometheusText(text: string): Map<string, ParsedFamily> {
  if (!text.endsWith('\n')) throw new Error('the exposition must end with a newline');
  const families = new Map<string, ParsedFamily>();
  const series = new Set<string>();
  let current: ParsedFamily | undefined;
  for (const line of text.slice(0, -1).split('\n')) {
    const meta = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
    if (meta) {
      const [, kind, name, rest] = meta as unknown as [string, string, string, string];
      if (!NAME.test(name)) throw new Error(`bad metric name: ${line}`);
      let f = families.get(name);
      if (f && f !== current) throw new Error(`family ${name} appears twice`);
      if (!f) families.set(name, (f = { name, type: 'untyped', help: '', samples: [] }));
      current = f;
      if (kind === 'TYPE') {
        if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(rest)) throw new Error(`bad type: ${line}`);
        if (f.samples.length) throw new Error(`TYPE after samples: ${line}`);
        f.type = rest;
      } else f.help = rest;
      continue;
    }
    if (line.startsWith('#') || line === '') continue;
    const m = /^([^{\s]+)(?:\{(.*)\})? (\S+)(?: (-?\d+))?$/.exec(line);
    if (!m) throw new Error(`bad sample line: ${line}`);
    const [, name, labelText, valueText] = m as unknown as [string, string, string | undefined, string];
    if (!NAME.test(name)) throw new Error(`bad metric name: ${line}`);
    if (!current || baseName(name, current.type) !== current.name) throw new Error(`sample outside its family (no TYPE before it): ${line}`);
    const labels = parseLabels(labelText ?? '', line);
    const key = `${name}{${Object.entries(labels).sort().map(([k, v]) => `${k}=${v}`).join(',')}}`;
    if (series.has(key)) throw new Error(`repeated series: ${key}`);
    series.add(key);
    current.samples.push({ name, labels, value: parseValue(valueText, line) });
  }
  for (const f of families.values()) {
    if (f.type === 'counter' && !f.name.endsWith('_total')) throw new Error(`counter ${f.name} does not end in _total`);
    if (f.type === 'counter' && f.samples.some((s) => s.value < 0)) throw new Error(`negative counter ${f.name}`);
    if (f.type === 'histogram') checkHistogram(f);
  }
  return families;
}

function checkHistogram(f: ParsedFamily): void {
  const groups = new Map<string, ParsedSample[]>();
  for (const s of f.samples) {
    const { le: _le, ...rest } = s.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    groups.set(key, [...(groups.get(key) ?? []), s]);
  }
  for (const samples of groups.values()) {
    const buckets = samples.filter((s) => s.name.endsWith('_bucket'));
    const count = samples.find((s) => s.name.endsWith('_count'))?.value;
    if (!samples.some((s) => s.name.endsWith('_sum')) || count === undefined) throw new Error(`histogram ${f.name} without _sum or _count`);
    for (let i = 1; i < buckets.length; i++) {
      if (Number(buckets[i]!.labels['le'] === '+Inf' ? Infinity : buckets[i]!.labels['le']) <= Number(buckets[i - 1]!.labels['le'])) throw new Error(`histogram ${f.name}: le not increasing`);
      if (buckets[i]!.value < buckets[i - 1]!.value) throw new Error(`histogram ${f.name}: buckets not cumulative`);
    }
    const last = buckets[buckets.length - 1];
    if (last?.labels['le'] !== '+Inf' || last.value !== count) throw new Error(`histogram ${f.name}: no +Inf bucket equal to _count`);
  }
}

/** The value of one series (labels given must all match; undefined when absent). */
export function metricValue(families: Map<string, ParsedFamily>, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const f of families.values()) {
    const s = f.samples.find((x) => x.name === name && Object.entries(labels).every(([k, v]) => x.labels[k] === v));
    if (s) return s.value;
  }
  return undefined;
}

/** The sum over every series of `name` matching `labels`. */
export function metricSum(families: Map<string, ParsedFamily>, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const f of families.values()) for (const x of f.samples) if (x.name === name && Object.entries(labels).every(([k, v]) => x.labels[k] === v)) sum += x.value;
  return sum;
}
