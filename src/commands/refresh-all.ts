import { loadConfig } from '../config';
import { usageError } from '../errors';
import { log, result } from '../output';
import { exitCodeOf, refreshAll, summaryLine } from '../refresh-all';
import type { RefreshOptions } from './refresh';

const MAX_CONCURRENCY = 256;

function parseConcurrency(value: string | undefined): number {
  if (value === undefined) return 4;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > MAX_CONCURRENCY) throw usageError(`--concurrency must be a whole number from 1 to ${MAX_CONCURRENCY}`);
  return n;
}

/** `refresh --all`: one summary line on stderr, per-profile results in --json. */
export default async function refreshAllCommand(opts: RefreshOptions): Promise<void> {
  const concurrency = parseConcurrency(opts.concurrency);
  if (opts.profile !== undefined) throw usageError('--all refreshes every profile; drop --profile (or drop --all)');
  // Each profile gets its own Config (forProfile); a selected profile, e.g. HH_PROFILE, does not narrow --all.
  const config = loadConfig(opts);
  const summary = await refreshAll(config, { concurrency, force: opts.force, keepResults: Boolean(opts.json) });
  const code = exitCodeOf(summary);
  const line = summaryLine(summary);
  if (summary.worst === undefined) log.info(line);
  else if (summary.worst === 'temporary') log.warn(line);
  else log.error(line);

  const doc: Record<string, unknown> = {
    status: code === 0 ? 'ok' : 'failed',
    total: summary.total,
    refreshed: summary.refreshed,
    not_due: summary.notDue,
    failed: summary.failed,
    exit_code: code,
  };
  if (summary.worst !== undefined) {
    doc.error = { code: summary.worst, message: `${summary.failed} of ${summary.total} profiles failed; the most serious failure is "${summary.worst}"` };
  }
  doc.profiles = summary.results;
  result(doc);
  // The failures were reported above, per profile; the top-level handler would print a second document.
  process.exitCode = code;
}
