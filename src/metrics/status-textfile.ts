import type { Config } from '../config/config';
import { tokenStates } from '../lifecycle/token-states';
import { log, write } from '../output';
import { writeTextfile } from './textfile';
import { tokenMetricsText, type TokenFigures } from './token-metrics';

/**
 * `status --format prometheus`: every profile's figures (the same names as the worker's
 * /metrics) on stdout, or written atomically into DIR for node_exporter's textfile
 * collector (`--metrics-dir`, which install-units' service runs after every refresh).
 * A profile's state is a figure, not a failure: the exit code is 0 once the text is out.
 */
export async function writeStatusMetrics(config: Config, metricsDir: string | undefined): Promise<void> {
  const rows: TokenFigures[] = [];
  for await (const s of tokenStates(config)) {
    rows.push({ profile: s.name, state: s.state, expiresAt: s.expiresAt?.getTime(), lastRefreshAt: s.obtainedAt?.getTime() });
  }
  const text = tokenMetricsText(rows, { worker: false });
  if (metricsDir === undefined) return write(1, text);
  const path = writeTextfile(metricsDir, text);
  log.debug(`wrote ${path} (${rows.length} profiles)`);
}
