import { describe, expect, it } from 'vitest';
import { escapeLabel, exposition } from '../../../src/metrics/exposition';
import { tokenMetricsText } from '../../../src/metrics/token-metrics';
import { parseMetrics } from '../../helpers';

describe('the Prometheus text format', () => {
  it('escapes label values so that any profile name (or hostile text) parses back to itself', () => {
    const nasty = 'a"b\\c\nd}{,=';
    expect(escapeLabel(nasty)).toBe('a\\"b\\\\c\\nd}{,=');
    const text = exposition([{ name: 'x', type: 'gauge', help: 'line\nbreak \\ here', samples: [{ labels: { profile: nasty }, value: 1 }] }]);
    expect(text.split('\n')[0]).toBe('# HELP x line\\nbreak \\\\ here');
    expect(parseMetrics(text).x!.samples).toEqual([{ labels: { profile: nasty }, value: 1 }]);
  });

  it('writes special values as the format spells them', () => {
    const text = exposition([{ name: 'x', type: 'gauge', help: 'h', samples: [{ value: NaN }, { labels: { a: '1' }, value: Infinity }, { labels: { a: '2' }, value: -Infinity }] }]);
    expect(text).toContain('x NaN\nx{a="1"} +Inf\nx{a="2"} -Inf\n');
  });

  it('the token figures: whole unix seconds, one series per profile, the worker\'s counters only from the worker', () => {
    const rows = [
      { profile: 'default', state: 'valid', expiresAt: 1_767_225_600_999, lastRefreshAt: 1_766_016_000_000 },
      { profile: 'acme', state: 'corrupt' },
    ];
    const status = parseMetrics(tokenMetricsText(rows, { worker: false }));
    expect(Object.keys(status)).toEqual(['hh_oauth_token_expiry_timestamp_seconds', 'hh_oauth_last_refresh_timestamp_seconds', 'hh_oauth_token_state']);
    expect(status.hh_oauth_token_expiry_timestamp_seconds!.samples).toEqual([{ labels: { profile: 'default' }, value: 1_767_225_600 }]);
    const worker = parseMetrics(tokenMetricsText([{ ...rows[0]!, failures: { temporary: 3 }, needsPerson: false }], { worker: true, startedAtMs: 1_000_000 }));
    expect(worker.hh_oauth_refresh_failures_total).toEqual({ type: 'counter', samples: [{ labels: { profile: 'default', exit_class: 'temporary' }, value: 3 }] });
    expect(worker.process_start_time_seconds!.samples).toEqual([{ labels: {}, value: 1000 }]);
  });
});
