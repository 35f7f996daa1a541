import { performance } from 'node:perf_hooks';
import type { Config } from '../../config/config';
import { HhOauthError } from '../../errors';
import { log } from '../../output';
import { holdSignals, type SignalHold } from '../../token/signal-guard';
import { Reservation } from '../../token/reservation';
import type { DiscardOutcome } from '../../token/discard';
import type { Slot, SlotContent, SlotWrite, TokenStore } from '../store';
import { connect, HEARTBEAT_MS, resolveTarget, STATEMENT_TIMEOUT_MS, type Connection, type Target } from './connection';
import { dropKept, moveOnFromAdopted, keptDir, keptPairSlots, keptPath, keptTempPath, keptSlots, keptVersions, otherKeptDirs, takeKept } from './kept-local';
import { columnsOf, contentOf, ROW_COLUMNS, rowKey, updateSql, type Row, type RowKey } from './rows';
import { CHANNEL, CURRENT_VERSION, migrate, schemaVersion, SET_ASIDE, TOKENS } from './schema';
import { fail, failFrom, pass, type CheckResult } from '../../doctor/check';

/**
 * The PostgreSQL store (docs/postgres-store.md). A write:
 *
 *   BEGIN → lock the slot's row (SELECT … FOR UPDATE, the row made if missing)
 *         → re-read → claim a local kept-pair file (the file store's Reservation, fsynced)
 *         → check the session still holds the lock → hold signals → spend (the grant)
 *         → write the new pair to the local file (fsync, rename) → UPDATE, NOTIFY → COMMIT
 *         → remove the local file → release signals
 *
 * The lock is the row's own lock rather than an advisory lock: it is the row it protects,
 * a reader's plain SELECT never waits on it (MVCC), `refresh --all` on several hosts can
 * take rows nobody holds with FOR UPDATE SKIP LOCKED, lock_timeout bounds the wait, and
 * the server drops it with the session (a process killed, a host whose keepalives stop,
 * a transaction idle past idle_in_transaction_session_timeout). An advisory lock would
 * need a hash of the profile as its key and is invisible to SKIP LOCKED on the table.
 *
 * If the COMMIT fails after hh.ru answered, the pair is in the local file; the next run
 * on this host puts it in place (kept-local.ts) before anything else.
 */
export async function openPostgresStore(config: Config, dsn: string): Promise<TokenStore> {
  const store = new PostgresStore(config, resolveTarget(config, dsn));
  return store;
}

export class PostgresStore implements TokenStore {
  readonly kind = 'postgres' as const;
  private readonly idle: Connection[] = [];
  private readonly dir: string;
  private swept: Promise<void> | undefined;
  /** The last measured stretch from hh.ru's answer to the pair on local disk, in ms (tests and bench read it). */
  lastKeptMs: number | undefined;

  constructor(
    private readonly config: Config,
    readonly target: Target,
  ) {
    this.dir = keptDir(config, target.name);
  }

  describe(): string {
    return this.target.shown;
  }

  locate(slot: Slot): string {
    return slot.kind === 'app' ? `${this.target.shown}#app_token` : `${this.target.shown}#${slot.profile}`;
  }

  async init(): Promise<string> {
    return this.withConnection((db) => migrate(db));
  }

  /** doctor's `token-store`: the server reached, the schema's version, TLS, pairs kept on this host. */
  async checks(): Promise<CheckResult[]> {
    const tls = this.target.config.ssl ? ((this.target.config.ssl as { rejectUnauthorized?: boolean }).rejectUnauthorized ? 'TLS, server verified' : 'TLS, server not verified') : 'no TLS (loopback)';
    const kept = keptPairSlots(this.dir).length + otherKeptDirs(this.dir).reduce((n, other) => n + keptPairSlots(other).length, 0);
    let version: number;
    try {
      version = await this.withConnection((db) => schemaVersion(db));
    } catch (err) {
      return [failFrom('token-store', err)];
    }
    if (version < CURRENT_VERSION) {
      return [fail('token-store', 'config', `${this.target.name} has schema version ${version}; this hh-oauth needs ${CURRENT_VERSION}`, 'run `hh-oauth store init` (idempotent)')];
    }
    if (kept > 0) {
      return [fail('token-store', 'store', `${kept} token pair(s) kept on this host in ${[this.dir, ...otherKeptDirs(this.dir)].join(', ')} never reached ${this.target.name} (or a database HH_TOKEN_STORE named otherwise)`, 'run `hh-oauth refresh` (any command that reads the store) on this host once the database is reachable: it puts them in place')];
    }
    return [pass('token-store', `${this.target.name}: reachable, schema version ${version}, ${tls}`)];
  }

  async read(slot: Slot, opts: { inspect?: boolean } = {}): Promise<SlotContent | null> {
    if (!opts.inspect) await this.sweep();
    const k = rowKey(slot);
    const rows = await this.withConnection((db) => db.query<Row>(`SELECT ${ROW_COLUMNS} FROM ${k.table} WHERE ${k.column} = $1`, [k.key]));
    return contentOf(rows[0], slot, this.locate(slot));
  }

  async write<T>(slot: Slot, lockTimeoutSeconds: number, body: (w: SlotWrite) => Promise<T>, opts: { skipLocked?: boolean } = {}): Promise<T> {
    await this.sweep();
    return this.transaction(slot, lockTimeoutSeconds, async (tx) => {
      // A pair kept on this host for the row's version goes in first, in this transaction:
      // the row's refresh token is spent, so the body must see the kept pair instead.
      const adopted = await this.adoptKept(tx, slot, opts.skipLocked ?? false);
      let committed = false;
      let dirty = adopted !== undefined;
      let hold: SignalHold | undefined;
      let reservation: Reservation | undefined;
      let keptVersion: number | undefined;
      let asideNote: string | undefined;
      const w: SlotWrite = {
        reread: async () => contentOf((await tx.lockedRow()).row, slot, this.locate(slot)),
        setAside: async () => {
          const { row } = await tx.lockedRow();
          const ids = await tx.db.query<{ id: string }>(`INSERT INTO ${SET_ASIDE} (slot, reason, content) VALUES ($1, 'damaged', $2) RETURNING id`, [this.locate(slot), row?.record ?? null]);
          asideNote = `the damaged row ${this.locate(slot)} was kept in ${SET_ASIDE} (id ${ids[0]?.id})`;
        },
        spend: async (grant, content) => {
          await tx.lockedRow();
          // The kept file is named after the row's COMMITTED version (the one a rollback goes
          // back to), not this transaction's: after an adoption the row is one write ahead here,
          // and a file named after that would be dropped as stale when the COMMIT fails, while
          // the adopted pair it replaces, already spent, was put back in place.
          const version = tx.committedVersion;
          // Claimed before anything is spent: a full or read-only disk fails here, nothing sent.
          reservation = await Reservation.reserve(keptPath(this.dir, slot, version), { temp: await keptTempPath(this.dir, slot, version) });
          keptVersion = version;
          try {
            // The session must still be ours (not ended by idle_in_transaction_session_timeout
            // while this process was frozen): else another host may hold the row now.
            await tx.db.query('SELECT 1');
          } catch (err) {
            await reservation.release();
            throw err;
          }
          hold = holdSignals();
          const heartbeat = setInterval(() => void tx.db.query('SELECT 1').catch(() => undefined), HEARTBEAT_MS);
          let answer;
          try {
            answer = await grant();
          } catch (err) {
            await reservation.release();
            throw err;
          } finally {
            clearInterval(heartbeat);
          }
          const answered = performance.now();
          const data = content(answer);
          await reservation.commit(data);
          this.lastKeptMs = performance.now() - answered;
          log.debug(`postgres store: hh.ru's answer was on local disk ${this.lastKeptMs.toFixed(2)} ms after it arrived (${keptPath(this.dir, slot, version)})`);
          try {
            await tx.db.query(updateSql(tx.key), [tx.key.key, ...columnsOf(data)]);
            await tx.db.query('SELECT pg_notify($1, $2)', [CHANNEL, slot.kind === 'app' ? 'app' : slot.profile]);
            await tx.db.query('COMMIT');
          } catch (err) {
            throw new HhOauthError(
              'temporary',
              `hh.ru issued a new token pair, but storing it in ${this.target.name} failed (${(err as Error).message}); it is kept on this host in ${keptPath(this.dir, slot, version)}`,
              { suggestion: 'run hh-oauth again on this host once the database is back: it puts the kept pair in place first. The old pair is spent', cause: err },
            );
          }
          committed = true;
          tx.done = true;
          await dropKept(this.dir, slot, version);
          if (adopted !== undefined) await dropKept(this.dir, slot, adopted.version);
          if (asideNote) log.warn(asideNote);
          return data;
        },
        put: async (record) => {
          await tx.lockedRow();
          await tx.db.query(updateSql(tx.key), [tx.key.key, ...columnsOf(record)]);
          dirty = true;
        },
      };
      try {
        const out = await body(w);
        if (!committed && dirty) {
          await tx.db.query('SELECT pg_notify($1, $2)', [CHANNEL, slot.kind === 'app' ? 'app' : slot.profile]);
          await tx.db.query('COMMIT');
          tx.done = true;
          // Stored, not spent: a writer that lost its session may still be spending it.
          if (adopted !== undefined) await moveOnFromAdopted(this.dir, slot, adopted.version, adopted.refreshToken);
        }
        return out;
      } finally {
        if (!committed && reservation && keptVersion !== undefined) await reservation.release();
        // After the transaction has ended (the lock is the server's to release).
        queueMicrotask(() => hold?.release());
      }
    });
  }

  /**
   * write(), but only when nobody holds the row now (FOR UPDATE SKIP LOCKED): undefined when
   * another process holds it (or there is no row). For `refresh --all` on several hosts:
   * each takes the due rows nobody else is working on.
   */
  async writeIfFree<T>(slot: Slot, body: (w: SlotWrite) => Promise<T>): Promise<T | undefined> {
    try {
      return await this.write(slot, 1, body, { skipLocked: true });
    } catch (err) {
      if (err === BUSY) return undefined;
      throw err;
    }
  }

  /** Profiles whose access token expires before `before`, soonest first (the index tokens_expires_at), for a due-list across hosts. */
  async dueProfiles(before: Date, limit: number): Promise<string[]> {
    const rows = await this.withConnection((db) =>
      db.query<{ profile: string }>(`SELECT profile FROM ${TOKENS} WHERE refresh_token IS NOT NULL AND moved_to IS NULL AND expires_at <= $1 ORDER BY expires_at LIMIT $2`, [before.toISOString(), limit]),
    );
    return rows.map((r) => r.profile);
  }

  async rehearse(slot: Slot, lockTimeoutSeconds: number): Promise<void> {
    await this.sweep();
    await this.transaction(slot, lockTimeoutSeconds, async (tx) => {
      const { version } = await tx.lockedRow();
      await (await Reservation.reserve(keptPath(this.dir, slot, version), { temp: await keptTempPath(this.dir, slot, version) })).release();
    });
  }

  async discard(slot: Slot, lockTimeoutSeconds: number, revokedRefreshToken: string, opts: { keep?: boolean }): Promise<DiscardOutcome> {
    return this.transaction(slot, lockTimeoutSeconds, async (tx) => {
      const { row } = await tx.lockedRow();
      if (!row || row.record === null) return { action: 'missing' } as const;
      if (row.refresh_token !== revokedRefreshToken) return { action: 'replaced' } as const;
      let keptAs = '';
      if (opts.keep) {
        const ids = await tx.db.query<{ id: string }>(`INSERT INTO ${SET_ASIDE} (slot, reason, content) VALUES ($1, 'revoked', $2) RETURNING id`, [this.locate(slot), row.record]);
        keptAs = `${SET_ASIDE} id ${ids[0]?.id}`;
      }
      // Emptied, not deleted: its version goes on counting. A new row would start again at
      // 0, and a stale kept pair on some host (named after a version of the old row) would
      // match the new row's version one day and be put over its live pair.
      await tx.db.query(`UPDATE ${tx.key.table} SET ${EMPTY_COLUMNS}, updated_at = now(), version = version + 1 WHERE ${tx.key.column} = $1`, [tx.key.key]);
      await tx.db.query('SELECT pg_notify($1, $2)', [CHANNEL, slot.kind === 'app' ? 'app' : slot.profile]);
      await tx.db.query('COMMIT');
      tx.done = true;
      return opts.keep ? { action: 'kept', keptAs } : { action: 'removed' };
    });
  }

  async *list(): AsyncIterable<{ name: string; location: string }> {
    await this.sweep();
    let after = '';
    for (;;) {
      const rows = await this.withConnection((db) =>
        db.query<{ profile: string }>(`SELECT profile FROM ${TOKENS} WHERE (record IS NOT NULL OR moved_to IS NOT NULL) AND profile > $1 ORDER BY profile LIMIT 1000`, [after]),
      );
      for (const { profile } of rows) yield { name: profile, location: this.locate({ profile, kind: 'user' }) };
      if (rows.length < 1000) return;
      after = rows[rows.length - 1]!.profile;
    }
  }

  async close(): Promise<void> {
    const all = this.idle.splice(0);
    await Promise.all(all.map((c) => c.end()));
  }

  /** At the start of a run: every pair kept on this host is put in place before anything else. */
  private sweep(): Promise<void> {
    this.swept ??= (async () => {
      for (const slot of keptSlots(this.dir)) await this.settleSlot(slot, Number(this.config.seconds('HH_LOCK_TIMEOUT')));
      const others = otherKeptDirs(this.dir);
      if (others.length > 0) {
        log.warn(
          `token pairs that never reached a database are kept on this host in ${others.join(', ')}, for an HH_TOKEN_STORE that names its database otherwise than ${this.target.name} (another host name or address, port, user or database); if it is this database, run hh-oauth once with HH_TOKEN_STORE as it was then, which puts them in place`,
        );
      }
    })();
    return this.swept;
  }

  /**
   * Under the row lock: a kept pair for the row's version goes in; files for other versions
   * (the row moved past them) go. Never waits: a row another holds is skipped (its holder,
   * or the next write of it, adopts the pair: write() does so in its own transaction).
   */
  private async settleSlot(slot: Slot, lockTimeoutSeconds: number): Promise<void> {
    if (keptVersions(this.dir, slot).length === 0) return;
    try {
      await this.transaction(slot, lockTimeoutSeconds, async (tx) => {
        const adopted = await this.adoptKept(tx, slot, true);
        if (adopted === undefined) return;
        await tx.db.query('SELECT pg_notify($1, $2)', [CHANNEL, slot.kind === 'app' ? 'app' : slot.profile]);
        await tx.db.query('COMMIT');
        tx.done = true;
        await moveOnFromAdopted(this.dir, slot, adopted.version, adopted.refreshToken);
      });
    } catch (err) {
      if (err !== BUSY) throw err;
    }
  }

  /** Takes the row's lock; puts a kept pair for its version in place (uncommitted); removes stale files. Returns the adopted version and refresh token. */
  private async adoptKept(tx: Tx, slot: Slot, skipLocked: boolean): Promise<{ version: number; refreshToken: unknown } | undefined> {
    const { row, version } = await tx.lockedRow(skipLocked);
    const versions = keptVersions(this.dir, slot);
    if (versions.length === 0) return undefined;
    if (row?.moved_to) {
      // `store copy` (on a host that could not see this one's files) moved the row past the
      // kept pair's version without storing a newer pair: the kept pair may be the only live
      // one. Neither put in a row that holds no tokens nor removed.
      log.warn(
        `${this.locate(slot)} was moved to ${row.moved_to}, but this host keeps a token pair for it that never reached the database (${versions.map((v) => keptPath(this.dir, slot, v)).join(', ')}); it is left there: it may be newer than the pair that was copied`,
      );
      return undefined;
    }
    for (const v of versions) if (v !== version) await dropKept(this.dir, slot, v);
    if (!versions.includes(version)) return undefined;
    const kept = await takeKept(this.dir, slot, version);
    if (!kept) return undefined;
    await tx.db.query(updateSql(tx.key), [tx.key.key, ...columnsOf(kept)]);
    log.warn(`recovered the token pair that a stopped run had written on this host but not stored in ${this.locate(slot)}`);
    return { version, refreshToken: kept.refresh_token };
  }

  private async acquire(): Promise<Connection> {
    const db = this.idle.pop() ?? (await connect(this.target));
    db.park(false);
    return db;
  }

  private release(db: Connection, healthy: boolean): void {
    if (healthy && this.idle.length < 16) {
      db.park(true);
      this.idle.push(db);
    } else void db.end();
  }

  private async withConnection<T>(fn: (db: Connection) => Promise<T>): Promise<T> {
    const db = await this.acquire();
    let healthy = false;
    try {
      const out = await fn(db);
      healthy = true;
      return out;
    } finally {
      this.release(db, healthy);
    }
  }

  /** BEGIN, the timeouts for this transaction, and the row's lock on demand; ROLLBACK unless fn committed. */
  private async transaction<T>(slot: Slot, lockTimeoutSeconds: number, fn: (tx: Tx) => Promise<T>): Promise<T> {
    const db = await this.acquire();
    const tx = new Tx(db, rowKey(slot), lockTimeoutSeconds);
    let healthy = false;
    try {
      await db.query('BEGIN');
      const lockMs = Math.round(lockTimeoutSeconds * 1000);
      await db.query("SELECT set_config('lock_timeout', $1, true), set_config('statement_timeout', $2, true)", [String(lockMs), String(lockMs + STATEMENT_TIMEOUT_MS)]);
      const out = await fn(tx);
      if (!tx.done) await db.query('ROLLBACK');
      healthy = true;
      return out;
    } catch (err) {
      if (!tx.done) await db.query('ROLLBACK').then(() => (healthy = err === BUSY), () => undefined);
      throw err;
    } finally {
      this.release(db, healthy);
    }
  }
}

/** A slot with nothing in it: what discard leaves (read as no row; listed nowhere). */
const EMPTY_COLUMNS = 'access_token = NULL, refresh_token = NULL, token_type = NULL, expires_in = NULL, obtained_at = NULL, expires_at = NULL, record = NULL, moved_to = NULL';

/** writeIfFree's "someone holds it": thrown inside the transaction (rolled back), caught outside. */
const BUSY = Symbol('busy');

/** One write transaction: its connection, its row, locked once (made first when missing). */
class Tx {
  done = false;
  private locked: { row: Row | undefined; version: number } | undefined;
  /** The row's version when this transaction first locked it: what a rollback leaves (0 for a row made here). */
  committedVersion = 0;

  constructor(
    readonly db: Connection,
    readonly key: RowKey,
    private readonly lockTimeoutSeconds: number,
  ) {}

  /** The row under this transaction's lock; the lock is taken on the first call, re-read on each. skipLocked: throws BUSY when another holds it. */
  async lockedRow(skipLocked = false): Promise<{ row: Row | undefined; version: number }> {
    const k = this.key;
    const timeout = Math.round(this.lockTimeoutSeconds * 1000) + STATEMENT_TIMEOUT_MS;
    const select = `SELECT ${ROW_COLUMNS} FROM ${k.table} WHERE ${k.column} = $1 FOR UPDATE`;
    if (skipLocked && !this.locked) {
      const rows = await this.db.query<Row>(`${select} SKIP LOCKED`, [k.key], timeout);
      if (rows.length === 0) throw BUSY;
      this.locked = { row: rows[0], version: Number(rows[0]!.version) };
      this.committedVersion = this.locked.version;
      return this.locked;
    }
    let rows = await this.db.query<Row>(select, [k.key], timeout);
    if (rows.length === 0 && !this.locked) {
      // No row yet (a first login): made empty inside this transaction, so that it can be
      // locked; a concurrent maker waits on it, and a rollback takes it away again.
      await this.db.query(`INSERT INTO ${k.table} (${k.column}) VALUES ($1) ON CONFLICT DO NOTHING`, [k.key], timeout);
      rows = await this.db.query<Row>(select, [k.key], timeout);
    }
    const row = rows[0];
    const first = !this.locked;
    this.locked = { row, version: Number(row?.version ?? 0) };
    if (first) this.committedVersion = this.locked.version;
    return this.locked;
  }
}
