import type { Connection } from './connection';

/**
 * The store's schema (docs/postgres-store.md#the-schema), created and migrated by
 * `hh-oauth store init`: versioned, idempotent. Each migration runs once, in its own
 * transaction, under an advisory lock so that two `store init` at once do not race; the
 * versions applied are rows of hh_oauth.schema_version. A store whose schema is older
 * than this build's asks for `store init`; a newer one (a later hh-oauth migrated it) is
 * used as long as its version is one this build knows how to read (READABLE_FROM).
 *
 * The tables: one row per profile (hh_oauth.tokens), the application token beside them
 * (hh_oauth.app_token, one row). hh.ru's fields keep their names and values as columns
 * (access_token, refresh_token, token_type, expires_in) so that a bot reads its token with
 * one SELECT; `record` holds the whole record as the token file would (hh.ru's answer
 * verbatim plus obtained_at and expires_at), and is what hh-oauth reads and validates.
 * `version` counts the writes of a row: a local kept pair names the version it replaces.
 */
export const SCHEMA = 'hh_oauth';
export const TOKENS = `${SCHEMA}.tokens`;
export const APP_TOKEN = `${SCHEMA}.app_token`;
export const SET_ASIDE = `${SCHEMA}.set_aside`;
export const VERSIONS = `${SCHEMA}.schema_version`;
/** The NOTIFY channel of a rotation; the payload is the profile name (or `app`), never a token. */
export const CHANNEL = 'hh_oauth_token_rotated';
/** Any advisory lock key: "hhoa" — store init's, for the migrations only. */
const INIT_LOCK = 0x68686f61;

interface Migration {
  version: number;
  description: string;
  sql: string;
}

const tokenColumns = `
  access_token text,
  refresh_token text,
  token_type text,
  expires_in bigint,
  obtained_at timestamptz,
  expires_at timestamptz,
  record jsonb,
  updated_at timestamptz NOT NULL DEFAULT now(),
  moved_to text,
  version bigint NOT NULL DEFAULT 0`;

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'tokens (one row per profile), app_token, set_aside',
    sql: `
CREATE TABLE ${TOKENS} (
  profile text PRIMARY KEY,${tokenColumns}
);
CREATE INDEX tokens_expires_at ON ${TOKENS} (expires_at) WHERE refresh_token IS NOT NULL AND moved_to IS NULL;
CREATE TABLE ${APP_TOKEN} (
  id text PRIMARY KEY DEFAULT 'app' CHECK (id = 'app'),${tokenColumns}
);
CREATE TABLE ${SET_ASIDE} (
  id bigserial PRIMARY KEY,
  slot text NOT NULL,
  reason text NOT NULL,
  content text,
  set_aside_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE ${TOKENS} IS 'hh-oauth: one row per profile; a bot reads access_token (docs/postgres-store.md)';
COMMENT ON COLUMN ${TOKENS}.record IS 'the whole token record (hh.ru''s answer + obtained_at, expires_at); hh-oauth reads this';`,
  },
];

export const CURRENT_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;
/** The oldest schema version this build reads and writes correctly. */
export const READABLE_FROM = 1;

/** Creates or migrates the schema; returns the sentence `store init` prints. */
export async function migrate(db: Connection): Promise<string> {
  await db.query('BEGIN');
  let applied: number[] = [];
  try {
    await db.query('SELECT pg_advisory_xact_lock($1)', [INIT_LOCK]);
    await db.query(`CREATE SCHEMA IF NOT EXISTS ${SCHEMA}`);
    await db.query(`CREATE TABLE IF NOT EXISTS ${VERSIONS} (version integer PRIMARY KEY, description text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const rows = await db.query<{ version: number }>(`SELECT version FROM ${VERSIONS}`);
    const have = new Set(rows.map((r) => Number(r.version)));
    for (const m of MIGRATIONS) {
      if (have.has(m.version)) continue;
      await db.query(m.sql);
      await db.query(`INSERT INTO ${VERSIONS} (version, description) VALUES ($1, $2)`, [m.version, m.description]);
      applied.push(m.version);
    }
    await db.query('COMMIT');
  } catch (err) {
    applied = [];
    await db.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
  const at = `${db.target.name} (schema ${SCHEMA})`;
  return applied.length === 0
    ? `the PostgreSQL store ${at} is up to date: schema version ${CURRENT_VERSION}`
    : `the PostgreSQL store ${at} is at schema version ${CURRENT_VERSION} (applied: ${applied.join(', ')})`;
}

/** The schema's version in the database: 0 when `store init` never ran. */
export async function schemaVersion(db: Connection): Promise<number> {
  const exists = await db.query<{ t: string | null }>('SELECT to_regclass($1) AS t', [VERSIONS]);
  if (!exists[0]?.t) return 0;
  const rows = await db.query<{ v: number | null }>(`SELECT max(version) AS v FROM ${VERSIONS}`);
  return Number(rows[0]?.v ?? 0);
}
