import type { Config } from '../config/config';
import { type ErrorCode, EXIT_CODES, type HhOauthError, mostSerious, reauthorizeError, toHhOauthError } from '../errors';
import { compareProfileNames } from '../config/profile-name';
import { secondsLeft } from '../token/expiry';
import { forEachBounded } from '../token/profiles';
import { storeOf } from './stores';
import { refreshIfDue } from './refresh';
import { errorJson, type ErrorJson } from '../output';

/**
 * `refresh --all`: every profile, a bounded number at a time, each through the same
 * locked refreshIfDue as a single refresh. One profile's failure is recorded and the
 * run goes on; the exit code is the most serious failure (mostSerious, src/errors.ts).
 */
export interface ProfileResult {
  name: string;
  token_file: string;
  status: 'refreshed' | 'not_due' | 'failed';
  expires_at?: string;
  seconds_left?: number;
  error?: ErrorJson;
}

export interface RefreshAllSummary {
  total: number;
  refreshed: number;
  notDue: number;
  failed: number;
  /** The first few failures, for the summary line (all of them are in results). */
  firstFailures: Array<{ name: string; code: ErrorCode }>;
  worst?: ErrorCode;
  seconds: number;
  /** Set when a signal stopped the run: profiles after the ones attempted were left for the next run. */
  interruptedBy?: string;
  /** Set when listing the profiles failed part-way: the profiles listed before it were done, the rest not attempted. */
  listingError?: HhOauthError;
  /** Per-profile results, kept only when asked for (--json): memory stays flat otherwise. */
  results?: ProfileResult[];
}

export interface RefreshAllOptions {
  concurrency: number;
  force?: boolean;
  keepResults?: boolean;
  /** Returns the signal's name once the run should stop starting new profiles. */
  stopRequested?: () => string | undefined;
}

export async function refreshAll(config: Config, opts: RefreshAllOptions): Promise<RefreshAllSummary> {
  const started = Date.now();
  const summary: RefreshAllSummary = { total: 0, refreshed: 0, notDue: 0, failed: 0, firstFailures: [], seconds: 0 };
  if (opts.keepResults) summary.results = [];
  const codes = new Set<ErrorCode>();

  // forEachBounded waits for the profiles in flight even when the listing fails, and this
  // function returns only then, so the caller's signal guard covers every spent refresh token.
  const store = await storeOf(config);
  const run = forEachBounded(store.list(), opts.concurrency, async (entry) => {
    summary.total++;
    // token_file keeps its name for every store (fields are only added): a path, or the row's location.
    const result: ProfileResult = { name: entry.name, token_file: entry.location, status: 'failed' };
    try {
      const outcome = await refreshIfDue(config.forProfile(entry.name), { force: opts.force, quiet: true });
      result.status = outcome.status;
      result.expires_at = outcome.expiresAt.toISOString();
      result.seconds_left = Math.max(0, secondsLeft(outcome.expiresAt));
      if (outcome.status === 'refreshed') summary.refreshed++;
      else summary.notDue++;
    } catch (err) {
      const e = toHhOauthError(err);
      codes.add(e.code);
      summary.failed++;
      if (summary.firstFailures.length < NAMED_FAILURES) summary.firstFailures.push({ name: entry.name, code: e.code });
      result.error = errorJson(e);
    }
    summary.results?.push(result);
  }, () => opts.stopRequested?.() !== undefined);
  try {
    await run;
  } catch (err) {
    // Only the listing throws (the callback records its failures): reported like a failed profile.
    summary.listingError = toHhOauthError(err);
    codes.add(summary.listingError.code);
  }
  summary.interruptedBy = opts.stopRequested?.();
  // Interrupted means "the rest were not attempted": like a temporary failure, the next run does them.
  if (summary.interruptedBy) codes.add('temporary');

  if (summary.total === 0 && !summary.interruptedBy && !summary.listingError) {
    if (store.kind !== 'file') throw reauthorizeError(`no profiles stored in ${store.describe()}`, 'log in first (`hh-oauth login`, or `hh-oauth --profile NAME login` for a profile), or `hh-oauth store copy` the token files there');
    throw reauthorizeError(
      `no token files: neither ${config.defaultTokenFile()} nor any profile in ${config.profilesDir()}`,
      'log in first (`hh-oauth login`, or `hh-oauth --profile NAME login` for a profile), or check HH_TOKEN_FILE',
    );
  }
  summary.worst = mostSerious(codes);
  summary.seconds = (Date.now() - started) / 1000;
  summary.results?.sort((a, b) => compareProfileNames(a.name, b.name));
  return summary;
}

export function exitCodeOf(summary: RefreshAllSummary): number {
  return summary.worst === undefined ? 0 : EXIT_CODES[summary.worst];
}

const NAMED_FAILURES = 10;

/** The one line that goes to the journal. */
export function summaryLine(s: RefreshAllSummary): string {
  const parts = [`${s.refreshed} refreshed`, `${s.notDue} not due`, `${s.failed} failed`];
  let line = `refresh --all: ${parts.join(', ')} of ${s.total} profile${s.total === 1 ? '' : 's'} in ${s.seconds.toFixed(1)} s`;
  if (s.interruptedBy) line += `; stopped early by ${s.interruptedBy}: the remaining profiles were not attempted`;
  if (s.listingError) {
    line += `; ${s.listingError.message}: the profiles not listed by then were not attempted`;
    if (s.listingError.suggestion) line += ` (${s.listingError.suggestion})`;
  }
  if (s.failed > 0) {
    const named = s.firstFailures.map((f) => `${f.name} (${f.code})`);
    const more = s.failed > named.length ? `, and ${s.failed - named.length} more` : '';
    line += `; failed: ${named.join(', ')}${more}; details: hh-oauth refresh --all --json, hh-oauth profiles`;
  }
  return line;
}
