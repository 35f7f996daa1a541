import type { PostgresCluster } from './postgres';

/**
 * What the multi-host suites ask the PostgreSQL server itself (as the superuser, over the
 * cluster's socket): who holds or waits on a lock. Every query leaves out psql's own session.
 */

/** Locks held by other client sessions: after every run has ended there must be none. */
export async function locksLeft(pg: PostgresCluster): Promise<string[]> {
  const out = await pg.psql(`SELECT l.locktype || ' ' || l.mode || ' by ' || coalesce(a.application_name, '') || ' (' || coalesce(a.state, '') || ')'
    FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
    WHERE l.pid <> pg_backend_pid() AND a.backend_type = 'client backend' AND l.granted ORDER BY 1`);
  return out === '' ? [] : out.split('\n');
}

/** Client sessions waiting on a heavyweight lock (a row lock's transaction, an advisory lock). */
export async function waitingOnLocks(pg: PostgresCluster): Promise<number> {
  return Number(await pg.psql(`SELECT count(*) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND wait_event_type = 'Lock'`));
}

/** Client sessions other than psql's, and how many are inside a transaction. */
export async function sessions(pg: PostgresCluster): Promise<{ total: number; inTransaction: number }> {
  const [total, inTx] = (await pg.psql(`SELECT count(*), count(*) FILTER (WHERE xact_start IS NOT NULL) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND backend_type = 'client backend'`)).split('|');
  return { total: Number(total), inTransaction: Number(inTx) };
}
