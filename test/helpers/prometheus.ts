import parsePrometheusTextFormat from 'parse-prometheus-text-format';

/**
 * Prometheus's text format read by a real parser (parse-prometheus-text-format, a port of
 * Prometheus's own), plus the rules it lets pass and a scraper does not: each family once,
 * a TYPE for each, names and label names of the allowed characters, every value a number.
 */
export interface ParsedFamily {
  type: 'gauge' | 'counter' | 'untyped' | 'summary' | 'histogram';
  samples: Array<{ labels: Record<string, string>; value: number }>;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const NUMBER = /^(?:[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|[+-]?Inf|NaN)$/;

export function parseMetrics(text: string): Record<string, ParsedFamily> {
  if (!text.endsWith('\n')) throw new Error('the exposition must end with a line feed');
  const types = [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => m[1]!);
  const twice = types.filter((t, i) => types.indexOf(t) !== i);
  if (twice.length) throw new Error(`families declared twice: ${twice.join(', ')}`);
  const out: Record<string, ParsedFamily> = {};
  for (const f of parsePrometheusTextFormat(text) as Array<{ name: string; type: string; metrics: Array<{ value: string; labels?: Record<string, string> }> }>) {
    if (!NAME.test(f.name)) throw new Error(`bad metric name ${f.name}`);
    if (!types.includes(f.name)) throw new Error(`${f.name} has no TYPE line`);
    out[f.name] = {
      type: f.type.toLowerCase() as ParsedFamily['type'],
      samples: f.metrics.map((m) => {
        if (!NUMBER.test(m.value)) throw new Error(`${f.name}: "${m.value}" is not a sample value`);
        for (const l of Object.keys(m.labels ?? {})) if (!LABEL.test(l)) throw new Error(`${f.name}: bad label name ${l}`);
        return { labels: m.labels ?? {}, value: Number(m.value) };
      }),
    };
  }
  // A family with a TYPE line and no samples is still a family.
  for (const name of types) out[name] ??= { type: text.match(new RegExp(`^# TYPE ${name} (\\S+)$`, 'm'))![1] as ParsedFamily['type'], samples: [] };
  return out;
}
