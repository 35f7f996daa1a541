import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  initStoreSchema,
  jsonOut,
  locksLeft,
  quickLogin,
  runCli,
  sessions,
  sleep,
  startPostgres,
  storedRows,
  tokenPosts,
  trackSecrets,
  useHarness,
  waitForExpiry,
  waitingOnLocks,
  type PostgresCluster,
  type RunResult,
  skipWithoutPostgres,
} from '../helpers';

/**
 * A refresher frozen (SIGSTOP) while it holds a profile's row in the PostgreSQL store: the
 * kernel of its host still answers TCP keepalives, so only the server's
 * idle_in_transaction_session_timeout (15 s, with a 5 s heartbeat while a live process waits
 * for hh.ru: src/store/postgres/connection.ts) frees the row. The others waiting on it go on
 * within that bound and spend the refresh token once; a `refresh --all` that meets the row
 * meanwhile reports it busy at once instead of waiting.
 */
const EXPIRES_IN = 2;
/** The documented bound: idle_in_transaction_session_timeout. */
const IDLE_IN_TRANSACTION_S = 15;
const h = useHarness({ expiresIn: EXPIRES_IN });

describe.skipIf(skipWithoutPostgres())('a refresher frozen while it holds a row', () => {
  let pg: PostgresCluster;
  beforeAll(async () => {
    pg = await startPostgres();
    trackSecrets(() => [pg.password]);
  }, 120_000);
  afterAll(async () => {
    await pg?.stop();
  });
  const env = (extra: Record<string, string> = {}) => h.env({ HH_TOKEN_STORE: pg.dsnWithPassword, ...extra });

  it('the others take the row within idle_in_transaction_session_timeout; one grant; no lock left', async () => {
    await initStoreSchema(pg);
    await quickLogin(h, env());
    await waitForExpiry(EXPIRES_IN);
    const before = (await storedRows(pg)).get('default');
    const grants = h.sandbox.stats().refreshed;

    // The holder's grant request reaches hh.ru's door and is never answered (nor spent):
    // it sits inside its transaction, holding the row, when it is frozen.
    h.sandbox.fault({ kind: 'hang', path: '/token', times: 1 });
    const posts = tokenPosts(h);
    let holderProcess: ChildProcess | undefined;
    const holder = runCli(['refresh', '--json'], { env: env({ HH_HTTP_TIMEOUT: '25' }), timeoutMs: 120_000, onSpawn: (c) => (holderProcess = c) });
    for (let i = 0; i < 400 && tokenPosts(h) === posts; i++) await sleep(25);
    expect(tokenPosts(h)).toBe(posts + 1);
    process.kill(holderProcess!.pid!, 'SIGSTOP');
    const frozenAt = performance.now();
    try {
      expect((await sessions(pg)).inTransaction).toBe(1);

      // refresh --all meets the held row: busy, at once.
      const all = await runCli(['refresh', '--all', '--json'], { env: env(), timeoutMs: 60_000 });
      const allTook = (performance.now() - frozenAt) / 1000;
      expect(all.code, all.stderr).toBe(0);
      expect(jsonOut(all)).toMatchObject({ total: 1, refreshed: 0, busy: 1, failed: 0 });
      expect(allTook).toBeLessThan(IDLE_IN_TRANSACTION_S / 2);

      // Three single refreshes wait on the row (lock_timeout is HH_LOCK_TIMEOUT, 60 s).
      const waiters: Array<Promise<RunResult & { at: number }>> = Array.from({ length: 3 }, () =>
        runCli(['refresh', '--json'], { env: env(), timeoutMs: 120_000 }).then((r) => ({ ...r, at: performance.now() })),
      );
      let waiting = 0;
      for (let i = 0; i < 100 && (waiting = await waitingOnLocks(pg)) < 3; i++) await sleep(100);
      expect(waiting).toBe(3);
      const done = await Promise.all(waiters);
      const waits = done.map((r) => (r.at - frozenAt) / 1000);
      for (const r of done) expect(r.code, r.stderr).toBe(0);
      expect(done.map((r) => jsonOut(r).status).sort()).toEqual(['not_due', 'not_due', 'refreshed']);
      expect(h.sandbox.stats().refreshed - grants).toBe(1);
      console.log(`postgres frozen holder: the row was free for the waiting refreshes ${Math.min(...waits).toFixed(1)}–${Math.max(...waits).toFixed(1)} s after SIGSTOP (bound: idle_in_transaction_session_timeout ${IDLE_IN_TRANSACTION_S} s, heartbeat 5 s); refresh --all reported it busy after ${allTook.toFixed(1)} s`);
      expect(Math.max(...waits)).toBeLessThan(IDLE_IN_TRANSACTION_S + 8);
      expect(Math.min(...waits)).toBeGreaterThan(IDLE_IN_TRANSACTION_S - 6);
    } finally {
      process.kill(holderProcess!.pid!, 'SIGCONT');
    }

    // Thawed, the holder finds its session gone: it fails (its grant was never answered) and
    // overwrites nothing.
    const thawed = await holder;
    expect(thawed.code, thawed.stderr).not.toBe(0);
    const after = (await storedRows(pg)).get('default')!;
    expect(after.consistent).toBe(true);
    expect(after.refreshToken).not.toBe(before!.refreshToken);
    expect(after.version).toBe(before!.version + 1);
    expect(await locksLeft(pg)).toEqual([]);
    const next = await runCli(['whoami', '--json'], { env: env() });
    expect(next.code, next.stderr).toBe(0);
    console.log(`postgres frozen holder: thawed, it exited ${thawed.code}: ${thawed.stderr.trim().split('\n').at(-2) ?? ''}`);
  }, 180_000);
});
