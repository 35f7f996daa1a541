import type { ErrorCode } from '../errors';

/**
 * When the worker acts on each profile: pure arithmetic over what it last saw and did,
 * so that the loop (loop.ts) only reads, refreshes and sleeps. Times are epoch ms.
 *
 * - A profile is due at its access token's expiry (hh.ru refuses a refresh before it).
 * - hh.ru saying "token not expired" at our expiry (clocks apart) retries after a short,
 *   bounded back-off: SKEW_BACKOFF.
 * - A temporary failure (exit 6: network, 5xx, 429) retries with exponential back-off up
 *   to TEMPORARY_BACKOFF's cap.
 * - A store failure (exit 7) is reported as needing a person and retried on that back-off.
 * - Any other failure needs a person (reauthorize, rejected…): the profile is left alone
 *   until its content changes (a login).
 */
export interface Backoff {
  firstMs: number;
  maxMs: number;
}

export const SKEW_BACKOFF: Backoff = { firstMs: 1_000, maxMs: 30_000 };
export const TEMPORARY_BACKOFF: Backoff = { firstMs: 5_000, maxMs: 5 * 60_000 };
/** setTimeout's largest delay (2^31-1 ms, about 24.8 days); a longer one fires at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;
/** The store is read again at least this often, so a profile added elsewhere is seen. */
export const REREAD_MS = 2 * 60_000;
/** And at most this often when nothing is due: a few profiles are cheap to read. */
export const MIN_REREAD_MS = 10_000;

/**
 * How long until the next read of the store when nothing is due sooner: twenty times what
 * the last read took, between MIN_REREAD_MS and REREAD_MS. A handful of profiles is read
 * every 10 s, so a login elsewhere is picked up quickly; 10,000 (about 1.5 s a read) every
 * 30 s, about 5% of one core; a store slower than that at most every 2 minutes.
 */
export function rereadMs(lastReadMs: number): number {
  return Math.min(REREAD_MS, Math.max(MIN_REREAD_MS, Math.ceil(lastReadMs) * 20));
}

/** The delay before attempt number `attempt` (1 for the first retry): doubling, capped. */
export function backoffMs(attempt: number, b: Backoff): number {
  const n = Math.max(1, Math.floor(attempt));
  // 2 ** 40 is far beyond any cap; keeps the arithmetic finite for a huge attempt count.
  return Math.min(b.maxMs, b.firstMs * 2 ** Math.min(n - 1, 40));
}

export type LastOutcome = 'refreshed' | 'not_due' | 'skew_retry' | 'failed';

export interface ProfilePlan {
  name: string;
  fingerprint: string;
  /** The state as last read (token/profiles.ts's vocabulary), for the metrics. */
  state: string;
  expiresAt?: number;
  /** The last successful refresh (by this worker, or the record's obtained_at). */
  lastRefreshAt?: number;
  /** Not before this time (a back-off). */
  retryAt?: number;
  skewAttempts: number;
  temporaryAttempts: number;
  /** Set after a failure that needs a person: no attempt until the content changes. */
  blockedBy?: ErrorCode;
  last?: { outcome: LastOutcome; at: number; code?: ErrorCode; requestId?: string };
  /** Failures by exit class since the worker started (a Prometheus counter). */
  failures: Partial<Record<ErrorCode, number>>;
}

export interface Seen {
  name: string;
  fingerprint: string;
  state: string;
  expiresAt?: number;
  obtainedAt?: number;
}

/** A fresh plan, or the old one brought up to date; new content lifts a block and its back-offs. */
export function observe(old: ProfilePlan | undefined, seen: Seen): ProfilePlan {
  if (old && old.fingerprint === seen.fingerprint) return old.state === seen.state ? old : { ...old, state: seen.state };
  // The pair this worker has just stored (afterRefreshed set its expiry): not new content from
  // elsewhere, so a back-off after a grant that was already expired (see there) stays.
  if (old && old.last?.outcome === 'refreshed' && old.retryAt !== undefined && seen.expiresAt === old.expiresAt) {
    return { ...old, fingerprint: seen.fingerprint, state: seen.state };
  }
  const failures = old?.failures ?? {};
  return {
    name: seen.name,
    fingerprint: seen.fingerprint,
    state: seen.state,
    expiresAt: seen.expiresAt,
    lastRefreshAt: Math.max(old?.lastRefreshAt ?? 0, seen.obtainedAt ?? 0) || undefined,
    skewAttempts: 0,
    temporaryAttempts: 0,
    last: old?.last,
    failures,
  };
}

/** When this profile should next be tried; undefined: not until its content changes. */
export function dueAt(p: ProfilePlan): number | undefined {
  if (p.blockedBy && p.retryAt === undefined) return undefined;
  // No expiry known (a missing or damaged file): one attempt says why, and then it is blocked.
  if (p.expiresAt === undefined) return p.retryAt ?? 0;
  return Math.max(p.expiresAt, p.retryAt ?? -Infinity);
}

/**
 * A grant whose expiry has already passed (hh.ru sent expires_in 0, negative, absurd or none:
 * token/record.ts stores such a pair as due at once) would be spent again at once, and again,
 * a grant per round trip: it is retried after the clock-skew back-off instead, as if hh.ru
 * had said "not expired" (which the real one does until the token really expires).
 */
export function afterRefreshed(p: ProfilePlan, expiresAt: number, now: number): ProfilePlan {
  const done = { ...p, state: 'valid', expiresAt, lastRefreshAt: now, temporaryAttempts: 0, blockedBy: undefined, last: { outcome: 'refreshed' as const, at: now } };
  if (expiresAt > now) return { ...done, retryAt: undefined, skewAttempts: 0 };
  const skewAttempts = p.skewAttempts + 1;
  return { ...done, skewAttempts, retryAt: now + backoffMs(skewAttempts, SKEW_BACKOFF) };
}

/**
 * Not refreshed, and no error: either someone else refreshed (a later expiry), or hh.ru's
 * clock says the token still lives although ours says it has expired (clock skew).
 */
export function afterNotDue(p: ProfilePlan, expiresAt: number, now: number): ProfilePlan {
  if (expiresAt > now) return { ...p, expiresAt, retryAt: undefined, skewAttempts: 0, temporaryAttempts: 0, blockedBy: undefined, last: { outcome: 'not_due', at: now } };
  const skewAttempts = p.skewAttempts + 1;
  return { ...p, expiresAt, skewAttempts, temporaryAttempts: 0, blockedBy: undefined, retryAt: now + backoffMs(skewAttempts, SKEW_BACKOFF), last: { outcome: 'skew_retry', at: now } };
}

export function afterFailure(p: ProfilePlan, code: ErrorCode, now: number, requestId?: string): ProfilePlan {
  const failures = { ...p.failures, [code]: (p.failures[code] ?? 0) + 1 };
  const last = { outcome: 'failed' as const, at: now, code, requestId };
  const temporaryAttempts = p.temporaryAttempts + 1;
  const retryAt = now + backoffMs(temporaryAttempts, TEMPORARY_BACKOFF);
  // A store failure (exit 7: the lock busy past HH_LOCK_TIMEOUT, a full disk, a file to repair)
  // is often fixed without new content: a lock removed by hand, space freed, a mode put right.
  // It is reported as needing a person, and tried again on the temporary back-off (a try
  // sends nothing to hh.ru until the token can be read and locked).
  if (code === 'store') return { ...p, failures, last, blockedBy: code, temporaryAttempts, retryAt };
  if (code !== 'temporary') return { ...p, failures, last, blockedBy: code, retryAt: undefined };
  return { ...p, failures, last, temporaryAttempts, retryAt };
}

/**
 * How long to sleep: until the earliest due profile, but never longer than REREAD_MS (the
 * store may have changed) nor than setTimeout can wait; 0 when something is due now.
 */
export function sleepMs(plans: Iterable<ProfilePlan>, now: number, maxMs = REREAD_MS): number {
  let earliest = Infinity;
  for (const p of plans) {
    const at = dueAt(p);
    if (at !== undefined && at < earliest) earliest = at;
  }
  return Math.max(0, Math.min(earliest - now, maxMs, MAX_TIMER_MS));
}

/** The earliest expiry among the profiles that are not blocked, for /healthz. */
export function nextExpiry(plans: Iterable<ProfilePlan>): number | undefined {
  let earliest: number | undefined;
  for (const p of plans) if (!p.blockedBy && p.expiresAt !== undefined && (earliest === undefined || p.expiresAt < earliest)) earliest = p.expiresAt;
  return earliest;
}
