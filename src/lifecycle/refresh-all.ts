import type { Config } from '../config/config';
import { type ErrorCode, EXIT_CODES, type HhOauthError, mostSerious, reauthorizeError, toHhOauthError } from '../errors';
import { compareProfileNames } from '../config/profile-name';
import { secondsLeft } from '../token/expiry';
import { forEachBounded } from '../token/profiles';
import { storeOf } from './stores';
import { loadToken, refreshIfDue, type RefreshOutcome } from './refresh';
import { errorJson, type ErrorJson } from '../output';
import { dueClaimsOf, type Claim, type DueClaims } from '../store/claim';
import type { TokenStore } from '../store/store';

/**
 * `refresh --all`: every profile, a bounded number at a time, each through the same
 * locked refreshIfDue as a single refresh. One profile's failure is recorded and the
 * run goes on; the exit code is the most serious failure (mostSerious, src/errors.ts).
 */
export interface ProfileResult {
  name: string;
  token_file: string;
  /** busy: another run (another host) holds the profile; skipped without waiting, it does it. */
  status: 'refreshed' | 'not_due' | 'busy' | 'failed';
  expires_at?: string;
  seconds_left?: number;
  error?: ErrorJson;
}

export interface RefreshAllSummary {
  total: number;
  refreshed: number;
  notDue: number;
  /** Profiles another run held (a shared store's DueClaims): skipped, not waited on. */
  busy: number;
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
  /** A shared store's claims: only the due profiles nobody else holds are refreshed here. */
  claims?: DueClaims;
}

export async function refreshAll(config: Config, opts: RefreshAllOptions): Promise<RefreshAllSummary> {
  const started = Date.now();
  const summary: RefreshAllSummary = { total: 0, refreshed: 0, notDue: 0, busy: 0, failed: 0, firstFailures: [], seconds: 0 };
  if (opts.keepResults) summary.results = [];
  const codes = new Set<ErrorCode>();

  // forEachBounded waits for the profiles in flight even when the listing fails, and this
  // function returns only then, so the caller's signal guard covers every spent refresh token.
  const store = await storeOf(config);
  // A shared store (PostgreSQL) hands out the due profiles nobody else holds; the token file lists them all.
  const claims = opts.claims ?? (await dueClaimsOf(store, opts.concurrency));
  const entries = claims ? claims.candidates({ force: opts.force }) : store.list();
  const run = forEachBounded(entries, opts.concurrency, async (entry) => {
    summary.total++;
    // token_file keeps its name for every store (fields are only added): a path, or the row's location.
    const result: ProfileResult = { name: entry.name, token_file: entry.location, status: 'failed' };
    let claim: Claim | undefined;
    try {
      const taken = claims ? await claims.claim(entry.name) : undefined;
      if (taken === 'busy') {
        result.status = 'busy';
        summary.busy++;
        summary.results?.push(result);
        return;
      }
      if (taken !== 'done') claim = taken;
      // Done: another run refreshed it after this one listed it; read, never refreshed again here.
      const outcome = taken === 'done' ? await notDueNow(config.forProfile(entry.name)) : await refreshIfDue(config.forProfile(entry.name), { force: opts.force, quiet: true });
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
    } finally {
      // The claim's own failure (a lost connection) ends it at the server anyway.
      await claim?.release().catch(() => undefined);
    }
    summary.results?.push(result);
  }, () => opts.stopRequested?.() !== undefined);
  try {
    await run;
  } catch (err) {
    // Only the listing throws (the callback records its failures): reported like a failed profile.
    summary.listingError = toHhOauthError(err);
    codes.add(summary.listingError.code);
  } finally {
    if (claims && !opts.claims) await claims.close().catch(() => undefined);
  }
  summary.interruptedBy = opts.stopRequested?.();
  // Interrupted means "the rest were not attempted": like a temporary failure, the next run does them.
  if (summary.interruptedBy) codes.add('temporary');

  // With claims the candidates are the due profiles only: none due is no failure, unless the store holds no profile at all.
  if (summary.total === 0 && !summary.interruptedBy && !summary.listingError && !(claims && (await hasProfiles(store)))) {
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

async function notDueNow(config: Config): Promise<RefreshOutcome> {
  return { status: 'not_due', expiresAt: (await loadToken(config)).expiresAt };
}

async function hasProfiles(store: TokenStore): Promise<boolean> {
  try {
    for await (const _ of store.list()) return true;
  } catch {
    return true; // unreachable now: not "no profiles"; the run's own failures say what went wrong
  }
  return false;
}

export function exitCodeOf(summary: RefreshAllSummary): number {
  return summary.worst === undefined ? 0 : EXIT_CODES[summary.worst];
}

const NAMED_FAILURES = 10;

/** The one line that goes to the journal. */
export function summaryLine(s: RefreshAllSummary): string {
  const parts = [`${s.refreshed} refreshed`, `${s.notDue} not due`, ...(s.busy > 0 ? [`${s.busy} busy (held by another run)`] : []), `${s.failed} failed`];
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
