import type { Client, ClientConfig, QueryConfig } from 'pg';
import type { Config } from '../../config/config';
import { HhOauthError, configError } from '../../errors';
import { log } from '../../output';
import { describeTarget, parseStoreDsn, redactDsn, type StoreDsn } from './dsn';
import { findPassword } from './password';
import { tlsFor } from './tls';

/**
 * One connection to the PostgreSQL store, with the bounds that keep a dead or frozen host
 * from holding a row for long (docs/postgres-store.md#timeouts):
 * - connect: CONNECT_TIMEOUT_SECONDS (or connect_timeout in the URL);
 * - TCP keepalives both ways: ours from KEEPALIVE_DELAY_MS of silence, the server's
 *   (tcp_keepalives_*, set for this session) so it closes a dead client's session, and
 *   with it the row lock, within about SERVER_KEEPALIVE.idle + interval × count seconds;
 * - idle_in_transaction_session_timeout (IDLE_IN_TRANSACTION_MS): a process frozen inside
 *   a transaction (SIGSTOP, a paused VM: its kernel still answers keepalives) loses its
 *   session and its lock. A live one keeps it busy with HEARTBEAT_MS queries while it
 *   waits for hh.ru (index.ts), so the bound does not depend on hh.ru's timeouts;
 * - lock_timeout: HH_LOCK_TIMEOUT, set per write (index.ts);
 * - statement_timeout: STATEMENT_TIMEOUT_MS, and a client-side timeout a little longer,
 *   for a server that stops answering (a frozen server also answers keepalives).
 */
export const CONNECT_TIMEOUT_SECONDS = 10;
export const KEEPALIVE_DELAY_MS = 10_000;
export const SERVER_KEEPALIVE = { idle: 10, interval: 5, count: 3 } as const;
export const IDLE_IN_TRANSACTION_MS = 15_000;
export const HEARTBEAT_MS = 5_000;
export const STATEMENT_TIMEOUT_MS = 30_000;
/** The client gives up on an answer this long after the server would have cancelled the statement. */
export const CLIENT_GRACE_MS = 5_000;

export interface Target {
  /** HH_TOKEN_STORE without its password: what messages and --json show. */
  shown: string;
  /** user@host:port/database, for messages. */
  name: string;
  dsn: StoreDsn;
  config: ClientConfig;
  /** Strings that must never reach output (the password): scrubbed from driver messages. */
  secrets: string[];
}

const warned = new Set<string>();

/** Reads HH_TOKEN_STORE's URL, the TLS rule and the password into a connection's settings; throws exit 3 on what must be fixed first. */
export function resolveTarget(config: Config, dsnText: string, env: NodeJS.ProcessEnv = config.env): Target {
  const dsn = parseStoreDsn(dsnText, env, env.USER || env.LOGNAME || 'postgres');
  const tls = tlsFor(dsn, env.HOME || undefined);
  if (tls.warning && !warned.has(tls.warning)) {
    warned.add(tls.warning);
    log.warn(tls.warning);
  }
  const found = findPassword(config, dsn, env);
  const name = describeTarget(dsn);
  const clientConfig: ClientConfig = {
    host: dsn.host,
    port: dsn.port,
    database: dsn.database,
    user: dsn.user,
    // A function: called only when the server asks, so that pg never falls back to its own
    // reading of ~/.pgpass (password.ts reads it, under libpq's rules).
    password: async () => {
      if (found) return found.password;
      throw configError(
        `the database ${name} asks for a password and none is set`,
        'put it in a file named by HH_TOKEN_STORE_PASSWORD_FILE (mode 0600), in PGPASSFILE, or in the URL in HH_TOKEN_STORE through the environment (never on the command line)',
      );
    },
    ssl: tls.ssl,
    connectionTimeoutMillis: (dsn.connectTimeoutSeconds || CONNECT_TIMEOUT_SECONDS) * 1000,
    keepAlive: true,
    keepAliveInitialDelayMillis: KEEPALIVE_DELAY_MS,
    statement_timeout: STATEMENT_TIMEOUT_MS,
    idle_in_transaction_session_timeout: IDLE_IN_TRANSACTION_MS,
    application_name: dsn.applicationName ?? 'hh-oauth',
    options: `-c tcp_keepalives_idle=${SERVER_KEEPALIVE.idle} -c tcp_keepalives_interval=${SERVER_KEEPALIVE.interval} -c tcp_keepalives_count=${SERVER_KEEPALIVE.count}`,
  };
  return { shown: redactDsn(dsnText), name, dsn, config: clientConfig, secrets: found ? [found.password, encodeURIComponent(found.password)] : [] };
}

/** A connection with its last unsolicited error (the server ended the session while we were idle). */
export interface Connection {
  client: Client;
  target: Target;
  /** Runs one statement; errors come back as HhOauthError (exit 6 for an unreachable or restarting server). */
  query<R = Record<string, unknown>>(text: string, values?: unknown[], timeoutMs?: number): Promise<R[]>;
  end(): Promise<void>;
  /**
   * Idle in the store's pool: its socket no longer keeps the process alive (a command ends
   * when its work is done, without a close()); in use again: it does.
   */
  park(parked: boolean): void;
}

let driver: Promise<typeof import('pg')> | undefined;
/** node-postgres, loaded on the first connection: never by the file store's runs. */
function loadDriver(): Promise<typeof import('pg')> {
  driver ??= import('pg').then((m) => ((m as unknown as { default?: typeof import('pg') }).default ?? m));
  return driver;
}

export async function connect(target: Target): Promise<Connection> {
  const pg = await loadDriver();
  const client = new pg.Client(target.config);
  // Without a listener an error while idle (the server restarting) would end the process.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => undefined);
    throw dbError(err, target, 'connect');
  }
  return {
    client,
    target,
    async query<R>(text: string, values: unknown[] = [], timeoutMs = STATEMENT_TIMEOUT_MS) {
      try {
        const result = await client.query({ text, values, query_timeout: timeoutMs + CLIENT_GRACE_MS } as QueryConfig);
        return result.rows as R[];
      } catch (err) {
        throw dbError(err, target, 'query');
      }
    },
    end: () => client.end().catch(() => undefined),
    park(parked) {
      const socket = (client as unknown as { connection?: { stream?: { ref?(): void; unref?(): void } } }).connection?.stream;
      if (parked) socket?.unref?.();
      else socket?.ref?.();
    },
  };
}

/** The SQLSTATE classes of a server that is away, starting, stopping or overloaded: try again later. */
const TEMPORARY_STATES = /^(08|53|57|58|40)/;
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'EAI_AGAIN', 'ENOENT', 'ECONNABORTED']);
const TLS_CODES = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|ERR_SSL|HOSTNAME/;

/**
 * A driver error as an HhOauthError. Only the SQLSTATE, the error's own message and our
 * words go into it, scrubbed of the password; never the driver's `detail` (a constraint
 * error there quotes the whole row, tokens included) or its query text.
 */
export function dbError(err: unknown, target: Target, phase: 'connect' | 'query'): HhOauthError {
  if (err instanceof HhOauthError) return err;
  const e = (err ?? {}) as { code?: string; message?: string };
  const code = typeof e.code === 'string' ? e.code : undefined;
  const raw = scrub(String(e.message ?? err), target.secrets);
  const cause = new Error(raw);
  const at = `the database ${target.name}`;
  if (code === '28P01' || code === '28000') {
    return new HhOauthError('config', `${at} refused the login of ${target.dsn.user}: ${raw}`, {
      suggestion: 'check the user and the password (HH_TOKEN_STORE_PASSWORD_FILE, PGPASSFILE, PGPASSWORD) and pg_hba.conf on the server',
      cause,
    });
  }
  if (code === '3D000') return new HhOauthError('config', `${at}: ${raw}`, { suggestion: 'create the database (createdb), or fix its name in HH_TOKEN_STORE', cause });
  if (code === '42P01' || code === '3F000') return new HhOauthError('config', `${at} has no hh-oauth schema (${raw})`, { suggestion: 'run `hh-oauth store init` once, as a user that may create the schema', cause });
  if (code === '42501') return new HhOauthError('config', `${at}: ${raw}`, { suggestion: `grant ${target.dsn.user} the rights docs/postgres-store.md lists (SELECT, INSERT, UPDATE, DELETE on schema hh_oauth's tables)`, cause });
  if (code === '55P03') {
    return new HhOauthError('store', `timed out waiting for the row lock in ${at}: another hh-oauth is working on this profile`, {
      suggestion: 'retry later, or raise HH_LOCK_TIMEOUT; a host that died holding it loses it within the times docs/postgres-store.md gives',
      cause,
    });
  }
  if ((code && TLS_CODES.test(code)) || /SSL|certificate|TLS/i.test(raw)) {
    return new HhOauthError('config', `cannot set up TLS with ${at}: ${raw}`, {
      suggestion: "check sslmode and sslrootcert in HH_TOKEN_STORE: the server's certificate must be signed by that CA and name the host in the URL",
      cause,
    });
  }
  const temporary =
    (code !== undefined && TEMPORARY_STATES.test(code)) ||
    (code !== undefined && NETWORK_CODES.has(code)) ||
    /terminat|timeout|timed out|Connection|ECONN|socket|closed/i.test(raw);
  if (temporary || phase === 'connect') {
    return new HhOauthError('temporary', `${at} is unreachable or restarting (${raw}); nothing was sent to hh.ru`, {
      suggestion: 'hh-oauth tries again on its next run (the timer retries); check the server if it lasts',
      cause,
    });
  }
  return new HhOauthError('store', `${at} refused a statement: ${raw}${code ? ` (SQLSTATE ${code})` : ''}`, {
    suggestion: 'check the schema (`hh-oauth store init` migrates it) and the rights of the database user',
    cause,
  });
}

/** The text with every secret in it replaced. */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (secret.length >= 4) out = out.split(secret).join('[password]');
  return out;
}
