/**
 * Prometheus's text exposition format (version 0.0.4), written by hand: the figures are a
 * few gauge families and one counter, and the format is small and stable, so a client
 * library (and its registry of every series in memory) would add a dependency to the
 * package and the standalone binary for four functions' worth of text. The tests parse
 * this output with a real parser.
 */
export type MetricType = 'gauge' | 'counter';

export interface Sample {
  labels?: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  type: MetricType;
  help: string;
  samples: Iterable<Sample>;
}

/** A label value as the format escapes it: backslash, double quote and line feed. */
export function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** HELP text escapes backslash and line feed only. */
function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

function sampleLine(name: string, s: Sample): string {
  const labels = Object.entries(s.labels ?? {});
  const set = labels.length ? `{${labels.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}` : '';
  return `${name}${set} ${formatValue(s.value)}\n`;
}

/** One family: HELP, TYPE, then its samples; each family appears once in an exposition. */
export function* familyLines(f: Family): Generator<string> {
  yield `# HELP ${f.name} ${escapeHelp(f.help)}\n`;
  yield `# TYPE ${f.name} ${f.type}\n`;
  for (const s of f.samples) yield sampleLine(f.name, s);
}

export function exposition(families: Iterable<Family>): string {
  let text = '';
  for (const f of families) for (const line of familyLines(f)) text += line;
  return text;
}

/** The Content-Type of this format, for /metrics. */
export const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
