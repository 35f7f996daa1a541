import type { Config } from '../config/config';
import type { CheckResult } from '../doctor/check';
import { configError } from '../errors';
import type { DiscardOutcome } from '../token/discard';
import { isPostgresDsn } from './dsn';

/**
 * Where tokens live. Every command reaches a token through a TokenStore (via lifecycle/),
 * never through a file path, so that the same flows run on the token file (the default,
 * and the hot path's) and on a shared PostgreSQL database. A store holds slots: each
 * profile's user pair and the one application token. It promises what the token file has
 * always promised: a read never sees half a write; a write runs under the slot's lock,
 * re-reads, and spends the single-use grant only through SlotWrite.spend, which keeps
 * hh.ru's answer safe (on local disk first) before anything else can fail; and a slot
 * that `store copy` moved elsewhere is never refreshed again (SlotContent.movedTo).
 * `openStore` picks the store from HH_TOKEN_STORE; the PostgreSQL driver is loaded only
 * when it is selected, so it never reaches dist/main.cjs.
 */
export type SlotKind = 'user' | 'app';

/** A profile's user pair (`kind: 'user'`), or the application token (`kind: 'app'`, profile ignored). */
export interface Slot {
  profile: string;
  kind: SlotKind;
}

/** What a read returns: the record as stored; parsing is the caller's (token/record.ts, token/app-token.ts). */
export interface SlotContent {
  /** The record's JSON text; when movedTo is set, the mark's (a moved slot holds no tokens). */
  text: string;
  /** A file's mtime, a row's updated_at: records from the old bash tooling derive their expiry from it. */
  updatedAt: Date;
  /** The file store only: what status and doctor show about the file. */
  file?: { path: string; mode: number; uid: number; gid: number };
  /** Set when `store copy` moved this slot: the new store's location (no password). Nothing may refresh from here. */
  movedTo?: string;
}

/** Handed to write()'s body, under the slot's lock. */
export interface SlotWrite {
  /** The content now, under the lock: another process may have written while we waited. */
  reread(): Promise<SlotContent | null>;
  /** Keeps the content aside before it is replaced (a damaged one before a grant; an older pair before `store copy`'s): never lost, said aloud once replaced. */
  setAside(): Promise<void>;
  /**
   * The one way a single-use grant is spent: the store first makes sure the answer has
   * somewhere to go, then calls grant, then stores content(answer) (which must not throw).
   * Returns what was stored.
   */
  spend<A>(grant: () => Promise<A>, content: (answer: A) => Record<string, unknown>): Promise<Record<string, unknown>>;
  /** Stores a record that spends nothing: a pair `store copy` brings over, or the moved mark (store/moved.ts) it leaves. */
  put(record: Record<string, unknown>): Promise<void>;
}

export interface TokenStore {
  readonly kind: 'file' | 'postgres';
  /** The store itself, for messages, the `store` field of --json and moved marks: the default token file, or a DSN without its password. */
  describe(): string;
  /** One slot's location, for messages and --json (`token_file` for the file store): a path, or `DSN-without-password#profile`. */
  locate(slot: Slot): string;
  /**
   * Lock-free (a file: atomic renames; a row: one SELECT); null when the slot is empty.
   * `inspect`: change nothing (status, profiles, revoke's check): no mode tightening, no settling of a kept pair.
   */
  read(slot: Slot, opts?: { inspect?: boolean }): Promise<SlotContent | null>;
  /** Runs body under the slot's lock (waiting up to lockTimeoutSeconds, then exit 7); a pair kept by a killed run is put in place first. */
  write<T>(slot: Slot, lockTimeoutSeconds: number, body: (w: SlotWrite) => Promise<T>): Promise<T>;
  /** The write up to the point of spending, then let go: login shows a store problem before the operator opens a browser. */
  rehearse(slot: Slot, lockTimeoutSeconds: number): Promise<void>;
  /** After revoke: empties the slot (or keeps its content aside), only while it still holds the revoked refresh token. */
  discard(slot: Slot, lockTimeoutSeconds: number, revokedRefreshToken: string, opts: { keep?: boolean }): Promise<DiscardOutcome>;
  /** Every profile that has a user slot, streamed (ten thousand profiles cost no array), each name once. */
  list(): AsyncIterable<{ name: string; location: string }>;
  /** `store init`: creates or migrates what the store needs (idempotent); returns what it did, in one sentence. */
  init?(): Promise<string>;
  /** Doctor checks only this store can make (a database: reachable, TLS, schema version); the file store's are doctor's own. */
  checks?(config: Config): Promise<CheckResult[]>;
  /** Lets go of connections; the process may then exit. Idempotent; called for every store lifecycle/ opened once the command is done (store/closing.ts). */
  close(): Promise<void>;
}

export { isPostgresDsn };

/** The store HH_TOKEN_STORE selects: unset or empty, the token file; a postgres:// DSN, PostgreSQL. */
export async function openStore(config: Config): Promise<TokenStore> {
  const value = config.get('HH_TOKEN_STORE')?.value.trim() ?? '';
  return openStoreAt(config, value);
}

// Once per process (a worker opens a file store per profile at every wake): after an upgrade
// replaced dist/'s chunks, a new import() would no longer find the file.
let fileStoreLoaded: Promise<typeof import('./file-store')> | undefined;
export const fileStoreModule = () => (fileStoreLoaded ??= import('./file-store'));
let postgresLoaded: Promise<PostgresStoreModule> | undefined;

/** A store named by a value (HH_TOKEN_STORE, `store copy --from/--to`): '' the configured token file, else a DSN. */
export async function openStoreAt(config: Config, value: string): Promise<TokenStore> {
  if (value === '') return (await fileStoreModule()).fileStore(config);
  if (isPostgresDsn(value)) return (await loadPostgresStore()).openPostgresStore(config, value);
  throw configError(
    `HH_TOKEN_STORE is not a store hh-oauth knows (it must be empty for the token file, or start with postgres:// or postgresql://)`,
    'fix HH_TOKEN_STORE (hh-oauth help environment), or unset it to use the token file',
  );
}

/** What a PostgreSQL store module offers (src/store/postgres/index.ts). */
export interface PostgresStoreModule {
  openPostgresStore(config: Config, dsn: string): Promise<TokenStore>;
}

/**
 * The one place that loads the PostgreSQL store, lazily (its own chunk, and node-postgres
 * imported by that chunk on its first connection), so its driver never reaches the file
 * store's runs: check:dist proves it.
 */
export async function loadPostgresStore(): Promise<PostgresStoreModule> {
  // A failed load is not kept: stores.ts forgets a refused store, and a worker's next read tries again.
  return (postgresLoaded ??= import('./postgres/index').catch((err: unknown) => {
    postgresLoaded = undefined;
    throw err;
  }));
}
