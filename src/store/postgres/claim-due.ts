import pg from 'pg';
import { HhOauthError } from '../../errors';
import type { Claim, DueClaims } from '../claim';

/**
 * `refresh --all` on several hosts at once (docs/postgres-store.md, "refresh --all on several
 * hosts"). Each run walks the due rows from a random starting point, wrapping around, and
 * claims each before refreshing it: a transaction-level advisory lock taken without waiting
 * (pg_try_advisory_xact_lock), in a key space of its own, held on a connection of the
 * claims' pool until the profile is done. A profile another run has claimed is `busy`:
 * skipped, not waited on. The rows another run has refreshed are no longer due, so the
 * next page of candidates leaves them out, and four runs started together split the work
 * instead of walking behind each other.
 *
 * The claim only shares the work out; it is not what makes a refresh safe. The refresh
 * itself still takes the row's own lock and re-reads the row under it (the store's
 * write()), so a claim lost early (its session ended by idle_in_transaction_session_timeout,
 * a frozen host) can cost a `not_due`, never a second grant.
 *
 * Why an advisory lock and not FOR UPDATE SKIP LOCKED on the row: the row's lock is taken by
 * write() on the store's own connection; a claim holding the same row lock on another
 * connection would make that write wait on its own run. A lock in another key space lets the
 * two live side by side. Killed, the run's sessions end and the server drops its claims;
 * frozen (SIGSTOP), its claims' sessions stop their heartbeat, sit idle in a transaction, and
 * the server ends them after idle_in_transaction_session_timeout, as it ends the frozen
 * write's own transaction (the store's connection.ts: the same bound, the same heartbeat).
 *
 * Besides its own claim, a claim probes the row's lock (FOR UPDATE SKIP LOCKED in a savepoint,
 * let go at once): a row a single `refresh` holds is busy as well, not waited on.
 */
export const CANDIDATE_PAGE = 256;

/** The claims' key space: hashtextextended of this prefix and the profile name (64 bits: a collision would only defer one profile to the next run). */
export const CLAIM_KEY_PREFIX = 'hh-oauth refresh --all claim ';

/** Where the rows are and how a due one is told apart: the store's documented schema (docs/postgres-store.md#schema). */
export interface ClaimSchema {
  /** The table, schema-qualified and quoted as needed. */
  table: string;
  /** SQL naming the profile column. */
  profile: string;
  /** A condition true for the rows of profiles' user pairs (not the app token, not moved rows). */
  userRows: string;
  /** SQL for the access token's expiry (timestamptz) of a row. */
  expiresAt: string;
  /** SQL for the moment the row was last written (timestamptz). */
  updatedAt: string;
}

export interface ClaimOptions {
  schema: ClaimSchema;
  /** The connection settings of the store (TLS, password, keepalives, timeouts). */
  connection: pg.PoolConfig;
  /** How many claims may be held at once (refresh --all's --concurrency). */
  concurrency: number;
  /** What a location is called in messages (`DSN-without-password#profile`). */
  locate: (profile: string) => string;
  /** Milliseconds a claim may sit idle in its transaction before the server ends it (a frozen run)... */
  idleInTransactionMs: number;
  /** ...and how often a live run's claim says it is alive (well under idleInTransactionMs). */
  heartbeatMs: number;
  /** Turns a driver failure into the store's error (exit 6 for an unreachable server). */
  toStoreError: (err: unknown, doing: string) => HhOauthError;
}

export function postgresDueClaims(opts: ClaimOptions): DueClaims {
  const s = opts.schema;
  const pool = new pg.Pool({
    ...opts.connection,
    max: opts.concurrency + 1,
    idle_in_transaction_session_timeout: opts.idleInTransactionMs,
  });
  // A server that goes away makes idle clients emit errors: each claim reports its own.
  pool.on('error', () => undefined);
  // The run's moment, the server's clock (hosts' clocks may differ): a row is a candidate when
  // it was due then (force: not written since). A row refreshed during the run is never one
  // again in this run, however short the new token's life.
  let run: { force: boolean; startedAt: Date } | undefined;
  const candidate = (param: string) => `${s.userRows} AND ${run?.force ? s.updatedAt : s.expiresAt} <= ${param}`;

  async function query<R extends pg.QueryResultRow>(sql: string, params: unknown[], doing: string): Promise<R[]> {
    try {
      return (await pool.query<R>(sql, params)).rows;
    } catch (err) {
      throw opts.toStoreError(err, doing);
    }
  }

  return {
    async *candidates({ force }) {
      const [now] = await query<{ t: Date }>('SELECT now() AS t', [], 'finding the due profiles');
      run = { force: force === true, startedAt: now!.t };
      // A random candidate to start from, so that runs started together begin far apart.
      const [start] = await query<{ p: string }>(
        `SELECT ${s.profile} AS p FROM ${s.table} WHERE ${candidate('$1')} ORDER BY ${s.profile} OFFSET floor(random() * (SELECT count(*) FROM ${s.table} WHERE ${candidate('$1')})) LIMIT 1`,
        [run.startedAt],
        'finding the due profiles',
      );
      if (!start) return;
      // From the start to the end, then from the beginning up to the start.
      for (const [from, until] of [[start.p, undefined], [undefined, start.p]] as Array<[string | undefined, string | undefined]>) {
        let after = from;
        let inclusive = from !== undefined;
        for (;;) {
          const params: unknown[] = [run.startedAt];
          const bounds: string[] = [];
          if (after !== undefined) bounds.push(`${s.profile} ${inclusive ? '>=' : '>'} $${params.push(after)}`);
          if (until !== undefined) bounds.push(`${s.profile} < $${params.push(until)}`);
          const page = await query<{ p: string }>(
            `SELECT ${s.profile} AS p FROM ${s.table} WHERE ${candidate('$1')}${bounds.map((b) => ` AND ${b}`).join('')} ORDER BY ${s.profile} LIMIT ${CANDIDATE_PAGE}`,
            params,
            'finding the due profiles',
          );
          for (const row of page) yield { name: row.p, location: opts.locate(row.p) };
          if (page.length < CANDIDATE_PAGE) break;
          after = page.at(-1)!.p;
          inclusive = false;
        }
      }
    },

    async claim(profile): Promise<Claim | 'busy' | 'done'> {
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (err) {
        throw opts.toStoreError(err, `claiming ${opts.locate(profile)}`);
      }
      // A session ended under a held claim (a restart, the idle timeout) is reported on the
      // client, not the query: without a listener that would be an uncaught error.
      const ended = () => undefined;
      client.on('error', ended);
      const done = (broken?: boolean) => {
        client.off('error', ended);
        client.release(broken);
      };
      let outcome: 'busy' | 'done' | undefined;
      try {
        await client.query('BEGIN');
        const { rows } = await client.query<{ ok: boolean }>(`SELECT pg_try_advisory_xact_lock(hashtextextended($1, 0)) AS ok`, [CLAIM_KEY_PREFIX + profile]);
        if (rows[0]?.ok !== true) outcome = 'busy';
        else {
          // The row's own lock, the one the store's write() takes: held by anyone (a single
          // `refresh`, a run that does not claim) is busy too. Probed with SKIP LOCKED in a
          // savepoint and let go at once, so the write that follows can take it; and the row
          // must still be a candidate (another run may have refreshed it since the listing).
          await client.query('SAVEPOINT probe');
          const probe = await client.query<{ candidate: boolean }>(
            `SELECT ${candidate('$2')} AS candidate FROM ${s.table} WHERE ${s.profile} = $1 FOR UPDATE SKIP LOCKED`,
            [profile, run?.startedAt ?? new Date()],
          );
          await client.query('ROLLBACK TO SAVEPOINT probe');
          if (probe.rows.length === 0) {
            // Held, or gone (revoked, moved): a row that is not there is no candidate either.
            const [there] = (await client.query(`SELECT 1 FROM ${s.table} WHERE ${s.profile} = $1`, [profile])).rows;
            outcome = there ? 'busy' : 'done';
          } else if (probe.rows[0]!.candidate !== true) outcome = 'done';
        }
        if (outcome) {
          await client.query('ROLLBACK');
          done();
          return outcome;
        }
      } catch (err) {
        done(true);
        throw opts.toStoreError(err, `claiming ${opts.locate(profile)}`);
      }
      // A claim held while hh.ru answers (or while the pace makes the refresh wait) keeps its
      // session busy, so that idle_in_transaction_session_timeout ends only a frozen run's claims.
      const beat = setInterval(() => void client.query('SELECT 1').catch(() => undefined), opts.heartbeatMs);
      beat.unref();
      return {
        release: async () => {
          clearInterval(beat);
          try {
            await client.query('COMMIT');
            done();
          } catch {
            // The session is gone (a restart, the idle timeout): so is its claim.
            done(true);
          }
        },
      };
    },

    close: () => pool.end(),
  };
}
