/**
 * Prometheus text exposition (format 0.0.4): families of samples, written as `# HELP`, `# TYPE`
 * and one line per sample. Collectors build families at scrape time from the counters the
 * components keep; nothing here keeps state.
 */
export type MetricType = 'counter' | 'gauge' | 'histogram';

export type MetricLabels = Record<string, string>;

export interface Sample {
  /** Appended to the family name: `_bucket`, `_sum`, `_count` for histograms. */
  suffix?: string;
  labels?: MetricLabels;
  value: number;
}

export interface MetricFamily {
  name: string;
  help: string;
  type: MetricType;
  samples: Sample[];
}

/** Builds scrape-time families; may read the kernel or other processes. */
export type Collector = () => MetricFamily[] | Promise<MetricFamily[]>;

export const family = (name: string, type: MetricType, help: string, samples: Sample[] = []): MetricFamily => ({ name, type, help, samples });

const escapeLabel = (v: string): string => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
const escapeHelp = (v: string): string => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

/** The text of families; families of the same name are merged (the first one's help and type). */
export function render(families: MetricFamily[]): string {
  const merged = new Map<string, MetricFamily>();
  for (const f of families) {
    const seen = merged.get(f.name);
    if (seen) seen.samples.push(...f.samples);
    else merged.set(f.name, { ...f, samples: [...f.samples] });
  }
  const lines: string[] = [];
  for (const f of merged.values()) {
    lines.push(`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} ${f.type}`);
    for (const s of f.samples) {
      const labels = Object.entries(s.labels ?? {});
      const text = labels.length ? `{${labels.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}` : '';
      lines.push(`${f.name}${s.suffix ?? ''}${text} ${formatValue(s.value)}`);
    }
  }
  return lines.join('\n') + '\n';
}
