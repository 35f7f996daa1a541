import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './cli';
import { recordFromGrant } from '../../src/token/record';
import { mintGrant } from './grants';
import type { PostgresCluster } from './postgres';
import type { Harness } from './workspace';

/**
 * Profiles straight into the PostgreSQL store's table (its documented schema,
 * docs/postgres-store.md), for the suites that need thousands of them: real grants from
 * the harness's sandbox (minted over HTTP, 16 at a time), written in one INSERT through
 * psql's stdin (never argv), the columns a bot reads beside the record hh-oauth reads.
 */
export interface SeededProfile {
  name: string;
  refreshToken: string;
}

/** n real grants from the sandbox, in order: the refresh tokens it will accept once. */
export async function mintGrants(h: Harness, n: number, parallel = 16): Promise<Array<Record<string, unknown>>> {
  const grants: Array<Record<string, unknown>> = new Array(n);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(parallel, n) }, async () => {
      while (next < n) {
        const i = next++;
        grants[i] = await mintGrant(h);
      }
    }),
  );
  return grants;
}

const literal = (v: string | number | null) => (v === null ? 'NULL' : typeof v === 'number' ? String(v) : `'${v.replace(/'/g, "''")}'`);

/** Stores each grant as profile `${prefix}NNNNN` (obtained now): rows as hh-oauth's write leaves them. */
export async function seedProfiles(pg: PostgresCluster, grants: Array<Record<string, unknown>>, prefix = 'p', obtained = new Date()): Promise<SeededProfile[]> {
  const seeded: SeededProfile[] = [];
  const values: string[] = [];
  grants.forEach((grant, i) => {
    const record = recordFromGrant(grant, obtained);
    const name = `${prefix}${String(i).padStart(5, '0')}`;
    seeded.push({ name, refreshToken: record.refresh_token as string });
    values.push(
      `(${[name, record.access_token as string, record.refresh_token as string, record.token_type as string, record.expires_in as number, record.obtained_at as string, record.expires_at as string].map(literal).join(', ')}, ${literal(JSON.stringify(record))}::jsonb)`,
    );
  });
  for (let i = 0; i < values.length; i += 2000) {
    await pg.psql(`INSERT INTO hh_oauth.tokens (profile, access_token, refresh_token, token_type, expires_in, obtained_at, expires_at, record) VALUES\n${values.slice(i, i + 2000).join(',\n')};`);
  }
  return seeded;
}

export interface StoredRow {
  profile: string;
  refreshToken: string | null;
  expiresAt: string | null;
  version: number;
  /** The record's refresh_token agrees with the column (what the store validates). */
  consistent: boolean;
}

/** Every profile's row as it is now (superuser, over the socket). */
export async function storedRows(pg: PostgresCluster, prefix = ''): Promise<Map<string, StoredRow>> {
  const out = await pg.psql(
    `SELECT profile, coalesce(refresh_token, ''), coalesce(to_char(expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), ''), version,
       (record->>'refresh_token') IS NOT DISTINCT FROM refresh_token AND (record->>'access_token') IS NOT DISTINCT FROM access_token
     FROM hh_oauth.tokens WHERE profile LIKE ${literal(`${prefix}%`)} ORDER BY profile`,
  );
  const rows = new Map<string, StoredRow>();
  for (const line of out === '' ? [] : out.split('\n')) {
    const [profile, refreshToken, expiresAt, version, consistent] = line.split('|');
    rows.set(profile!, { profile: profile!, refreshToken: refreshToken || null, expiresAt: expiresAt || null, version: Number(version), consistent: consistent === 't' });
  }
  return rows;
}

/** The store's schema, made by the built CLI's `hh-oauth store init` (its own migrations), as an operator makes it. */
export async function initStoreSchema(pg: PostgresCluster): Promise<void> {
  const home = mkdtempSync(join(tmpdir(), 'hh-store-init-'));
  try {
    const out = await runCli(['store', 'init'], { env: { PATH: process.env.PATH, HOME: home, HH_CONFIG_DIR: join(home, 'config'), HH_TOKEN_FILE: join(home, 'state', 'token.json'), HH_TOKEN_STORE: pg.dsnWithPassword } });
    if (out.code !== 0) throw new Error(`hh-oauth store init failed: ${out.stderr}`);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}
