import { readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { ConnectionOptions } from 'node:tls';
import { configError } from '../../errors';
import { isLoopback, type StoreDsn } from './dsn';

/**
 * The rule for credentials on the wire (docs/postgres-store.md#tls): the password and the
 * tokens cross a network only encrypted, to a server we have verified.
 * - A Unix socket or a loopback address: TLS only if asked for (require and up).
 * - Any other host: sslmode=verify-full (certificate chain and host name checked), or
 *   verify-ca (chain only), or require when the operator wrote it (encrypted, server not
 *   verified: warned every run). disable, allow, prefer or no sslmode at all is refused:
 *   prefer falls back to plain text, and the others start there.
 * node-postgres's own mapping of sslmode (pg-connection-string) differs (it treats prefer
 * and require as verify-full, and has no "refuse"), so the ssl option is built here.
 */
export interface TlsDecision {
  /** node-postgres's ssl option: false for none. */
  ssl: false | ConnectionOptions;
  /** Said once per run when the connection is encrypted but the server is not verified. */
  warning?: string;
}

export function tlsFor(dsn: StoreDsn, home = homedir()): TlsDecision {
  const mode = dsn.sslmode;
  const local = isLoopback(dsn.host);
  if (!local && (mode === undefined || mode === 'disable' || mode === 'allow' || mode === 'prefer')) {
    const said = mode === undefined ? 'no sslmode' : `sslmode=${mode}`;
    throw configError(
      `HH_TOKEN_STORE names ${dsn.host}, another machine, with ${said}: the database password and the tokens would cross the network ${mode === 'prefer' ? 'unencrypted whenever the server does not offer TLS' : 'unencrypted'}`,
      `add ?sslmode=verify-full to HH_TOKEN_STORE (with sslrootcert=/path/to/ca.crt when the server's certificate is not from a public CA), or sslmode=require to encrypt without verifying the server`,
    );
  }
  if (mode === undefined || mode === 'disable' || mode === 'allow' || mode === 'prefer') return { ssl: false };
  const files = clientFiles(dsn, home);
  if (mode === 'require') {
    return {
      ssl: { ...files, rejectUnauthorized: false },
      warning: local ? undefined : `HH_TOKEN_STORE: sslmode=require encrypts the connection to ${dsn.host} but does not verify the server; use sslmode=verify-full`,
    };
  }
  const ca = rootCert(dsn, home);
  const verified: ConnectionOptions = { ...files, ...(ca === undefined ? {} : { ca }), rejectUnauthorized: true };
  if (mode === 'verify-ca') return { ssl: { ...verified, checkServerIdentity: () => undefined }, warning: local ? undefined : `HH_TOKEN_STORE: sslmode=verify-ca checks ${dsn.host}'s certificate chain but not its name; use sslmode=verify-full` };
  return { ssl: { ...verified, servername: dsn.host.startsWith('/') || /^[\d.:]+$/.test(dsn.host) ? undefined : dsn.host } };
}

/** sslrootcert (URL or PGSSLROOTCERT), else libpq's ~/.postgresql/root.crt, else the system's CAs ("system" says so too). */
function rootCert(dsn: StoreDsn, home: string): string | undefined {
  const named = dsn.sslrootcert;
  if (named === 'system') return undefined;
  const path = named ?? join(home, '.postgresql', 'root.crt');
  if (named === undefined && !statSync(path, { throwIfNoEntry: false })) return undefined;
  return readPem(path, 'sslrootcert');
}

function clientFiles(dsn: StoreDsn, home: string): { cert?: string; key?: string } {
  const certPath = dsn.sslcert ?? join(home, '.postgresql', 'postgresql.crt');
  const keyPath = dsn.sslkey ?? join(home, '.postgresql', 'postgresql.key');
  if (dsn.sslcert === undefined && !statSync(certPath, { throwIfNoEntry: false })) return {};
  const cert = readPem(certPath, 'sslcert');
  const st = statSync(keyPath, { throwIfNoEntry: false });
  if (!st) throw configError(`the client certificate ${certPath} has no key at ${keyPath}`, 'set sslkey=/path/to/key in HH_TOKEN_STORE');
  // libpq's rule for the key: nobody but its owner (or root's group) may read it.
  if (st.mode & 0o077 && !(st.uid === 0 && !(st.mode & 0o037))) {
    throw configError(`the client key ${keyPath} has mode 0${(st.mode & 0o777).toString(8)}, which lets others read it`, `chmod 600 ${keyPath}`);
  }
  return { cert, key: readPem(keyPath, 'sslkey') };
}

function readPem(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw configError(`cannot read ${what} ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`, `check ${what} in HH_TOKEN_STORE (or PG${what.toUpperCase()}) and that this user can read it`);
  }
}
