import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HhOauthError } from '../../../src/errors';
import { postgresDueClaims, type ClaimSchema } from '../../../src/store/postgres/claim-due';
import type { Claim, DueClaims } from '../../../src/store/claim';
import { locksLeft, startPostgres, type PostgresCluster, skipWithoutPostgres } from '../../helpers';

/**
 * The claims of `refresh --all` on PostgreSQL, against a real server, without the CLI: four
 * workers over the same due rows, each "refreshing" a claimed row the way the store's write
 * does (under the row's lock, only while it is still due). Every due row is done exactly
 * once, the not-due ones never, a claimed row is busy for the others, and no lock outlives
 * the runs.
 */
const schema: ClaimSchema = { table: 'claim_test', profile: 'profile', userRows: "kind = 'user'", expiresAt: 'expires_at', updatedAt: 'updated_at' };
const held = (c: Claim | 'busy' | 'done'): Claim => {
  if (typeof c === 'string') throw new Error(`not claimed: ${c}`);
  return c;
};
const toStoreError = (err: unknown, doing: string) => new HhOauthError('temporary', `${doing}: ${(err as Error).message}`);

describe.skipIf(skipWithoutPostgres())('refresh --all claims on PostgreSQL', () => {
  let cluster: PostgresCluster;
  const connection = () => ({ connectionString: cluster.dsnWithPassword });
  const open = (concurrency: number): DueClaims =>
    postgresDueClaims({ schema, connection: connection(), concurrency, locate: (p) => `test#${p}`, idleInTransactionMs: 15_000, heartbeatMs: 5_000, toStoreError });

  beforeAll(async () => {
    cluster = await startPostgres();
    await cluster.psql(`CREATE TABLE claim_test (profile text PRIMARY KEY, kind text NOT NULL, expires_at timestamptz NOT NULL, updated_at timestamptz NOT NULL DEFAULT now() - interval '1 day', refreshed int NOT NULL DEFAULT 0)`);
  }, 120_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  /** n user rows, `due` of them expired; plus an app row that is never a candidate. */
  async function seed(n: number, due: number): Promise<void> {
    await cluster.psql(`TRUNCATE claim_test;
      INSERT INTO claim_test (profile, kind, expires_at)
        SELECT 'p' || lpad(i::text, 5, '0'), 'user', CASE WHEN i < ${due} THEN now() - interval '1 minute' ELSE now() + interval '1 hour' END FROM generate_series(0, ${n - 1}) i;
      INSERT INTO claim_test (profile, kind, expires_at) VALUES ('app', 'app', now() - interval '1 hour');`);
  }

  /** One worker: refresh --all's loop, with the store's write reduced to its re-read and update under the row lock. */
  async function worker(claims: DueClaims, concurrency: number, force = false) {
    const db = new pg.Pool({ connectionString: cluster.dsnWithPassword, max: concurrency });
    const counts = { refreshed: 0, notDue: 0, busy: 0, total: 0 };
    const inFlight = new Set<Promise<void>>();
    try {
      for await (const c of claims.candidates({ force })) {
        counts.total++;
        const task = (async () => {
          const claim = await claims.claim(c.name);
          if (claim === 'busy') return void counts.busy++;
          if (claim === 'done') return void counts.notDue++;
          try {
            await new Promise((r) => setTimeout(r, Math.random() * 3)); // hh.ru's answer takes a while
            // The new token is due again a second later (the sandbox's 1-second tokens): the run must not take it twice.
            const { rowCount } = await db.query(`UPDATE claim_test SET refreshed = refreshed + 1, expires_at = now() + interval '1 second', updated_at = now() WHERE profile = $1 AND ($2 OR expires_at <= now())`, [c.name, force]);
            if (rowCount === 1) counts.refreshed++;
            else counts.notDue++;
          } finally {
            await claim.release();
          }
        })().finally(() => inFlight.delete(task));
        inFlight.add(task);
        if (inFlight.size >= concurrency) await Promise.race(inFlight);
      }
      await Promise.all(inFlight);
    } finally {
      await db.end();
      await claims.close();
    }
    return counts;
  }

  it('4 workers over 2,000 due rows of 2,500: each due row refreshed once, the others never', async () => {
    await seed(2500, 2000);
    const results = await Promise.all(Array.from({ length: 4 }, () => worker(open(8), 8)));
    const refreshed = results.reduce((a, r) => a + r.refreshed, 0);
    console.log(`claims: 4 workers, 2,000 due of 2,500: ${results.map((r) => `${r.refreshed} refreshed / ${r.notDue} not due / ${r.busy} busy of ${r.total}`).join('; ')}`);
    expect(refreshed).toBe(2000);
    expect(await cluster.psql(`SELECT refreshed, count(*) FROM claim_test WHERE kind = 'user' GROUP BY 1 ORDER BY 1`)).toBe('0|500\n1|2000');
    expect(await cluster.psql(`SELECT refreshed FROM claim_test WHERE kind = 'app'`)).toBe('0');
    // The work was shared, not done by whichever worker started first.
    for (const r of results) expect(r.refreshed).toBeGreaterThan(100);
    expect(await locksLeft(cluster)).toEqual([]);
  }, 120_000);

  it('a claimed profile is busy for another run, without waiting, until released', async () => {
    await seed(3, 3);
    const a = open(2);
    const b = open(2);
    try {
      const mine = held(await a.claim('p00001'));
      const started = Date.now();
      expect(await b.claim('p00001')).toBe('busy');
      expect(Date.now() - started).toBeLessThan(1000);
      await held(await b.claim('p00002')).release();
      await mine.release();
      await held(await b.claim('p00001')).release();
    } finally {
      await a.close();
      await b.close();
    }
  });

  it("a row whose own lock another session holds (a single refresh's write) is busy, not waited on; the probe lets the row go", async () => {
    await seed(2, 2);
    const claims = open(2);
    const writer = new pg.Client({ connectionString: cluster.dsnWithPassword });
    await writer.connect();
    try {
      await writer.query('BEGIN');
      await writer.query(`SELECT 1 FROM claim_test WHERE profile = 'p00000' FOR UPDATE`);
      const started = Date.now();
      expect(await claims.claim('p00000')).toBe('busy');
      expect(Date.now() - started).toBeLessThan(1000);
      await writer.query('COMMIT');
      // Claimed: the row itself stays free for the store's write (here: another session, NOWAIT).
      const claim = held(await claims.claim('p00000'));
      await writer.query('BEGIN');
      await writer.query(`SELECT 1 FROM claim_test WHERE profile = 'p00000' FOR UPDATE NOWAIT`);
      await writer.query('COMMIT');
      await claim.release();
    } finally {
      await writer.end();
      await claims.close();
    }
  });

  it('a claim whose session is killed (the run died) is free at once; nothing due: no candidates', async () => {
    await seed(2, 1);
    const a = open(1);
    const b = open(1);
    try {
      const dying = held(await a.claim('p00000'));
      expect(await cluster.psql(`SELECT count(pg_terminate_backend(pid)) FROM pg_locks WHERE locktype = 'advisory' AND pid <> pg_backend_pid()`)).toBe('1');
      await held(await b.claim('p00000')).release();
      // The dead run's release finds its session gone: no error, no uncaught 'error' event.
      await dying.release();
      // A row not due (or gone) is no candidate: done, not claimed.
      expect(await b.claim('p00001')).toBe('done');
      expect(await b.claim('nobody')).toBe('done');
      const names: string[] = [];
      await cluster.psql(`UPDATE claim_test SET expires_at = now() + interval '1 hour'`);
      for await (const x of b.candidates({})) names.push(x.name);
      expect(names).toEqual([]);
      for await (const x of b.candidates({ force: true })) names.push(x.name);
      expect(names.sort()).toEqual(['p00000', 'p00001']);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('an unreachable server is the store error of the caller (exit 6), for the listing and the claim', async () => {
    const claims = postgresDueClaims({ schema, connection: { connectionString: `postgresql://nobody@127.0.0.1:1/none`, connectionTimeoutMillis: 2000 }, concurrency: 1, locate: (p) => p, idleInTransactionMs: 15_000, heartbeatMs: 5_000, toStoreError });
    try {
      const listing = (async () => {
        for await (const _ of claims.candidates({})) void _;
      })();
      await expect(listing).rejects.toMatchObject({ code: 'temporary', message: /finding the due profiles/ });
      await expect(claims.claim('x')).rejects.toMatchObject({ code: 'temporary', message: /claiming x/ });
    } finally {
      await claims.close();
    }
  });
});
