import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  initStoreSchema,
  jsonOut,
  locksLeft,
  mintGrants,
  runCli,
  seedProfiles,
  sleep,
  startPostgres,
  storedRows,
  trackSecrets,
  useHarness,
  waitForExpiry,
  type PostgresCluster,
  skipWithoutPostgres,
} from '../helpers';

/**
 * The PostgreSQL server stopped and started again in the middle of `refresh --all` over
 * many profiles: the run exits 6 (temporary) for what it could not reach, and loses
 * nothing: every profile's refresh token is either still unspent at hh.ru (its row
 * unchanged) or its new pair is in the row or kept on this host's disk. The next run puts
 * the kept pairs in place and refreshes the rest: one grant per profile over both runs.
 */
// The new pairs outlive both runs: a second refresh of an expired new pair would be legitimate, and break the count.
const EXPIRES_IN = 20;
const PROFILES = 300;
const h = useHarness({ expiresIn: EXPIRES_IN });

describe.skipIf(skipWithoutPostgres())('the database restarting under refresh --all', () => {
  let pg: PostgresCluster;
  beforeAll(async () => {
    pg = await startPostgres();
    trackSecrets(() => [pg.password]);
  }, 120_000);
  afterAll(async () => {
    await pg?.stop();
  });

  it(`${PROFILES} profiles: exit 6 for the unreached ones, nothing lost, the next run completes; one grant each`, async () => {
    await initStoreSchema(pg);
    const seeded = await seedProfiles(pg, await mintGrants(h, PROFILES));
    await waitForExpiry(EXPIRES_IN);
    const env = h.env({ HH_TOKEN_STORE: pg.dsnWithPassword, HH_TOKEN_FILE: join(h.dir, 'state', 'token.json') });
    const before = h.sandbox.stats().refreshed;

    // 50 grants a second: a 6 s run, stopped a third of the way in for 2 s.
    const run = runCli(['refresh', '--all', '--json', '--concurrency', '4', '--rate', '50'], { env, timeoutMs: 120_000 });
    while (h.sandbox.stats().refreshed - before < PROFILES / 3) await sleep(20);
    await pg.halt();
    const stoppedAfter = h.sandbox.stats().refreshed - before;
    await sleep(2000);
    await pg.start();
    const first = await run;
    const doc = jsonOut(first);
    console.log(`postgres restart under refresh --all: stopped after ${stoppedAfter} grants; the run: exit ${first.code}, ${doc.refreshed} refreshed, ${doc.failed} failed, ${doc.total} of ${PROFILES} attempted; ${first.stderr.trim().split('\n').at(-1)}`);
    expect(first.code, first.stderr).toBe(6);
    expect(doc.error.code).toBe('temporary');
    for (const p of doc.profiles.filter((p: { status: string }) => p.status === 'failed')) expect(p.error.code, JSON.stringify(p.error)).toBe('temporary');

    // Nothing lost: a row whose refresh token hh.ru spent has the new pair, or this host keeps it.
    const spent = h.sandbox.stats().refreshed - before;
    const rows = await storedRows(pg, 'p');
    const changed = seeded.filter((p) => rows.get(p.name)!.refreshToken !== p.refreshToken).length;
    const kept = spent - changed;
    console.log(`postgres restart under refresh --all: ${spent} grants answered by hh.ru, ${changed} stored in the database, ${kept} kept on local disk for the next run`);
    expect(kept).toBeGreaterThanOrEqual(0);
    for (const row of rows.values()) expect(row.consistent).toBe(true);

    const second = await runCli(['refresh', '--all', '--json', '--concurrency', '4'], { env, timeoutMs: 120_000 });
    expect(second.code, second.stderr).toBe(0);
    const again = jsonOut(second);
    expect(again.failed).toBe(0);
    if (kept > 0) expect(second.stderr).toMatch(/recovered the token pair that a stopped run had written on this host but not stored/);
    // One grant per profile over both runs, and every row holds its new pair.
    expect(h.sandbox.stats().refreshed - before).toBe(PROFILES);
    const after = await storedRows(pg, 'p');
    for (const p of seeded) {
      const row = after.get(p.name)!;
      expect(row.refreshToken).not.toBe(p.refreshToken);
      expect(row.version).toBe(1);
    }
    expect(await locksLeft(pg)).toEqual([]);
  }, 240_000);
});
