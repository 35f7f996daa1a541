import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  afterFailure,
  afterNotDue,
  afterRefreshed,
  backoffMs,
  dueAt,
  MAX_TIMER_MS,
  nextExpiry,
  observe,
  type ProfilePlan,
  MIN_REREAD_MS,
  REREAD_MS,
  rereadMs,
  SKEW_BACKOFF,
  sleepMs,
  TEMPORARY_BACKOFF,
} from '../../../src/worker/schedule';

const NOW = Date.UTC(2026, 0, 1);
const plan = (name: string, expiresAt: number | undefined, extra: Partial<ProfilePlan> = {}): ProfilePlan => ({
  ...observe(undefined, { name, fingerprint: `${name}@${expiresAt}`, state: 'valid', expiresAt }),
  ...extra,
});

describe('the schedule: sleep until the earliest expiry', () => {
  it('sleeps until the earliest of several expiries, not a fixed tick', () => {
    const plans = [plan('a', NOW + 90_000), plan('b', NOW + 30_000), plan('c', NOW + 60_000)];
    expect(sleepMs(plans, NOW)).toBe(30_000);
  });

  it('is 0 when something is due now or overdue', () => {
    expect(sleepMs([plan('a', NOW - 5_000), plan('b', NOW + 10_000)], NOW)).toBe(0);
    expect(sleepMs([plan('a', NOW)], NOW)).toBe(0);
  });

  it('wakes at least every REREAD_MS to read the store again, however far the next expiry', () => {
    expect(sleepMs([plan('a', NOW + 14 * 86400_000)], NOW)).toBe(REREAD_MS);
    expect(sleepMs([], NOW)).toBe(REREAD_MS);
  });

  it('reads the store again more often when a read is cheap: 20 times the last read, from 10 s to 2 minutes', () => {
    expect(rereadMs(0)).toBe(MIN_REREAD_MS);
    expect(rereadMs(3)).toBe(10_000);
    expect(rereadMs(1500)).toBe(30_000);
    expect(rereadMs(60_000)).toBe(REREAD_MS);
    fc.assert(fc.property(fc.double({ min: 0, max: 1e9, noNaN: true }), (ms) => rereadMs(ms) >= MIN_REREAD_MS && rereadMs(ms) <= REREAD_MS));
  });

  it('never asks setTimeout for more than it can wait (2^31-1 ms), whatever the re-read interval', () => {
    expect(MAX_TIMER_MS).toBe(2_147_483_647);
    expect(sleepMs([plan('a', NOW + 40 * 86400_000)], NOW, Infinity)).toBe(MAX_TIMER_MS);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -1e12, max: 1e13 }), { maxLength: 20 }), fc.integer({ min: 1, max: 1e13 }), (expiries, reread) => {
        const ms = sleepMs(expiries.map((e, i) => plan(`p${i}`, NOW + e)), NOW, reread);
        return ms >= 0 && ms <= MAX_TIMER_MS && ms <= reread && Number.isInteger(ms);
      }),
    );
  });

  it('skips a blocked profile (it waits for a person), and tries a record without an expiry at once (once)', () => {
    const blocked = afterFailure(plan('dead', NOW - 1), 'reauthorize', NOW);
    expect(dueAt(blocked)).toBeUndefined();
    expect(sleepMs([blocked, plan('b', NOW + 20_000)], NOW)).toBe(20_000);
    expect(nextExpiry([blocked, plan('b', NOW + 20_000)])).toBe(NOW + 20_000);
    const corrupt = plan('corrupt', undefined);
    expect(dueAt(corrupt)).toBe(0);
    // A store failure (exit 7: the lock busy, a full disk, a damaged file) is reported as
    // needing a person and tried again on the temporary back-off: a lock removed by hand
    // or space freed changes no content.
    const store = afterFailure(corrupt, 'store', NOW);
    expect(store.blockedBy).toBe('store');
    expect(dueAt(store)).toBe(NOW + TEMPORARY_BACKOFF.firstMs);
    expect(dueAt(afterFailure(store, 'store', NOW + 5_000))).toBe(NOW + 5_000 + 2 * TEMPORARY_BACKOFF.firstMs);
    const locked = afterFailure(plan('locked', NOW - 1), 'store', NOW);
    expect(dueAt(locked)).toBe(NOW + TEMPORARY_BACKOFF.firstMs);
    expect(nextExpiry([locked])).toBeUndefined();
    expect(afterRefreshed(locked, NOW + 60_000, NOW + 5_000)).toMatchObject({ blockedBy: undefined, retryAt: undefined, temporaryAttempts: 0 });
    expect(afterNotDue(locked, NOW + 60_000, NOW + 5_000).blockedBy).toBeUndefined();
  });
});

describe('the schedule: back-off', () => {
  it('doubles from the first delay up to the cap, and stays there', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => backoffMs(n, TEMPORARY_BACKOFF))).toEqual([5_000, 10_000, 20_000, 40_000, 80_000, 160_000, 300_000]);
    expect(backoffMs(1e9, TEMPORARY_BACKOFF)).toBe(TEMPORARY_BACKOFF.maxMs);
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffMs(n, SKEW_BACKOFF))).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 30_000]);
  });

  it('is bounded for every attempt count', () => {
    fc.assert(
      fc.property(fc.integer({ min: -10, max: 1e9 }), (n) => {
        const ms = backoffMs(n, TEMPORARY_BACKOFF);
        return ms >= TEMPORARY_BACKOFF.firstMs && ms <= TEMPORARY_BACKOFF.maxMs;
      }),
    );
  });

  it('a temporary failure retries after the back-off, longer each time; a success resets it', () => {
    let p = plan('a', NOW - 1);
    p = afterFailure(p, 'temporary', NOW, 'req-1');
    expect(p.retryAt).toBe(NOW + 5_000);
    expect(dueAt(p)).toBe(NOW + 5_000);
    expect(p.last).toEqual({ outcome: 'failed', at: NOW, code: 'temporary', requestId: 'req-1' });
    p = afterFailure(p, 'temporary', NOW + 5_000);
    expect(p.retryAt).toBe(NOW + 15_000);
    expect(p.failures).toEqual({ temporary: 2 });
    expect(p.blockedBy).toBeUndefined();
    p = afterRefreshed(p, NOW + 86400_000, NOW + 15_000);
    expect(p).toMatchObject({ retryAt: undefined, temporaryAttempts: 0, lastRefreshAt: NOW + 15_000, state: 'valid', failures: { temporary: 2 } });
    expect(dueAt(p)).toBe(NOW + 86400_000);
    expect(afterFailure(p, 'temporary', NOW + 86400_000).retryAt).toBe(NOW + 86400_000 + 5_000);
  });

  it('"token not expired" at our expiry (clock skew) retries after 1 s, 2 s, 4 s… up to 30 s', () => {
    let p = plan('a', NOW - 1);
    const delays: number[] = [];
    let now = NOW;
    for (let i = 0; i < 8; i++) {
      p = afterNotDue(p, NOW - 1, now);
      expect(p.last?.outcome).toBe('skew_retry');
      delays.push(p.retryAt! - now);
      now = p.retryAt!;
    }
    expect(delays).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000]);
    expect(p.blockedBy).toBeUndefined();
  });

  it('a grant already expired when stored (expires_in 0, negative, absurd) backs off as a skew, and the re-read of its own pair keeps the back-off', () => {
    let p = afterRefreshed(plan('a', NOW - 1), NOW, NOW);
    expect(dueAt(p)).toBe(NOW + SKEW_BACKOFF.firstMs);
    // The worker's next read sees the pair it stored: another fingerprint, the same expiry.
    p = observe(p, { name: 'a', fingerprint: 'a@stored', state: 'expired-refreshable', expiresAt: NOW });
    expect(dueAt(p)).toBe(NOW + SKEW_BACKOFF.firstMs);
    p = afterRefreshed(p, NOW + 1000, NOW + 1000);
    expect(dueAt(p)).toBe(NOW + 1000 + 2 * SKEW_BACKOFF.firstMs);
    // A pair that lives: no back-off, and the count starts again.
    p = afterRefreshed(p, NOW + 60_000, NOW + 3000);
    expect(p).toMatchObject({ retryAt: undefined, skewAttempts: 0 });
    expect(dueAt(p)).toBe(NOW + 60_000);
    // New content from elsewhere (a login) drops the back-off as before.
    const q = observe(afterRefreshed(plan('b', NOW - 1), NOW, NOW), { name: 'b', fingerprint: 'b@login', state: 'valid', expiresAt: NOW + 86400_000 });
    expect(q.retryAt).toBeUndefined();
  });

  it('not due with a later expiry (refreshed elsewhere) is no skew: planned at the new expiry', () => {
    const p = afterNotDue(plan('a', NOW - 1, { skewAttempts: 3 }), NOW + 3600_000, NOW);
    expect(p).toMatchObject({ skewAttempts: 0, retryAt: undefined, expiresAt: NOW + 3600_000, last: { outcome: 'not_due' } });
  });
});

describe('the schedule: a failure that needs a person', () => {
  it.each(['reauthorize', 'rejected', 'store', 'config', 'internal'] as const)('%s blocks the profile until its content changes', (code) => {
    const p = afterFailure(plan('a', NOW - 1), code, NOW);
    expect(p.blockedBy).toBe(code);
    expect(observe(p, { name: 'a', fingerprint: p.fingerprint, state: 'expired-refreshable', expiresAt: NOW - 1 }).blockedBy).toBe(code);
    const changed = observe(p, { name: 'a', fingerprint: 'new content', state: 'valid', expiresAt: NOW + 1000 });
    expect(changed.blockedBy).toBeUndefined();
    expect(dueAt(changed)).toBe(NOW + 1000);
    // The counter survives the new content: it counts since the worker started.
    expect(changed.failures).toEqual({ [code]: 1 });
  });

  it('the same content keeps its back-off; new content drops it', () => {
    const p = afterFailure(plan('a', NOW - 1), 'temporary', NOW);
    expect(observe(p, { name: 'a', fingerprint: p.fingerprint, state: 'valid', expiresAt: NOW - 1 }).retryAt).toBe(NOW + 5_000);
    expect(observe(p, { name: 'a', fingerprint: 'other', state: 'valid', expiresAt: NOW + 60_000 }).retryAt).toBeUndefined();
  });

  it('the last refresh is the later of what the worker did and the record\'s obtained_at', () => {
    const p = afterRefreshed(plan('a', NOW - 1), NOW + 1000, NOW);
    expect(observe(p, { name: 'a', fingerprint: 'x', state: 'valid', expiresAt: NOW + 1000, obtainedAt: NOW - 5 }).lastRefreshAt).toBe(NOW);
    expect(observe(p, { name: 'a', fingerprint: 'y', state: 'valid', expiresAt: NOW + 9000, obtainedAt: NOW + 10 }).lastRefreshAt).toBe(NOW + 10);
  });
});
