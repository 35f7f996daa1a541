import { loadConfig } from '../../config/config';
import { usageError } from '../../errors';
import { log, result } from '../../output';
import { exitCodeOf, refreshAll, summaryLine } from '../../lifecycle/refresh-all';
import { onStopSignal } from '../../token/signal-guard';
import type { RefreshOptions } from './index';

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
  if (opts.rate === '') throw usageError('--rate needs a number of requests per second (0: unpaced)');
  const config = loadConfig(opts, { HH_RATE_LIMIT: opts.rate });
  config.rateLimit(); // a bad --rate (or HH_RATE_LIMIT) fails here, before any profile starts
  // A run over thousands of profiles is long enough for systemd's start timeout or a
  // Ctrl-C to land in the middle. Dying then could lose the pairs hh.ru has just issued
  // (their refresh tokens are already spent), so a signal only stops new profiles from
  // starting; the ones in flight finish and are written.
  // The handler (signal-guard.ts) gets the signal at once, also while a pair is being stored,
  // so the run stops starting profiles and still prints its summary. SIGHUP is not taken: it
  // is held while a pair is in flight and then ends the run, like any other command.
  let stopRequested: string | undefined;
  const stopListening = onStopSignal((signal) => {
    if (!stopRequested) log.warn(`${signal}: finishing the profiles in progress, starting no new ones`);
    stopRequested = signal;
  });
  let summary;
  try {
    summary = await refreshAll(config, { concurrency, force: opts.force, keepResults: Boolean(opts.json), stopRequested: () => stopRequested });
  } finally {
    stopListening();
  }
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
    busy: summary.busy,
    failed: summary.failed,
    exit_code: code,
  };
  if (summary.interruptedBy) doc.interrupted_by = summary.interruptedBy;
  const listing = summary.listingError;
  if (listing) {
    // The run's own failure: its code and hint, as the top-level handler would report it.
    const also = summary.failed > 0 ? `; ${summary.failed} of the ${summary.total} profiles attempted failed` : '';
    const error: Record<string, string> = { code: summary.worst ?? listing.code, message: `${listing.message}: profiles not listed by then were not attempted${also}` };
    if (listing.suggestion) error.suggestion = listing.suggestion;
    doc.error = error;
  } else if (summary.worst !== undefined) {
    doc.error = {
      code: summary.worst,
      message: summary.interruptedBy && summary.failed === 0
        ? `stopped by ${summary.interruptedBy} after ${summary.total} profiles; the rest were not attempted`
        : `${summary.failed} of ${summary.total} profiles failed; the most serious failure is "${summary.worst}"`,
    };
  }
  doc.profiles = summary.results;
  result(doc);
  // The failures were reported above, per profile; the top-level handler would print a second document.
  process.exitCode = code;
}
