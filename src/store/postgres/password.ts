import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../../config/config';
import { configError } from '../../errors';
import { log } from '../../output';
import { readableByOthers, readTrustedFile } from '../../system/file-trust';
import { DB_PASSWORD_CREDENTIAL } from '../../system/unit-names';
import type { StoreDsn } from './dsn';

/**
 * The database password, by the client secret's rules (docs/postgres-store.md#the-password):
 * never in argv; read from, in this order,
 *   1. the URL in HH_TOKEN_STORE (from the environment or a trusted settings file),
 *   2. PGPASSWORD,
 *   3. the file HH_TOKEN_STORE_PASSWORD_FILE names (first line), or the systemd credential
 *      `hh-db-password` (LoadCredential=hh-db-password:/path),
 *   4. PGPASSFILE, else ~/.pgpass, in libpq's format and under libpq's rule: no access for
 *      group or others (an explicit PGPASSFILE that breaks it is refused; ~/.pgpass is
 *      skipped with a warning, as libpq does).
 * undefined: none of them; the server may not ask (peer or cert authentication).
 */
export interface PasswordSource {
  password: string;
  /** How messages name where it came from (never the value). */
  from: string;
}

const MAX_BYTES = 64 * 1024;

export function findPassword(config: Config, dsn: StoreDsn, env: NodeJS.ProcessEnv = process.env): PasswordSource | undefined {
  if (dsn.password !== undefined) {
    const origin = config.get('HH_TOKEN_STORE')?.origin;
    const holder = origin === 'env-file' ? config.files.envFile : origin === 'system-file' ? config.files.systemFile : origin === 'config' ? config.files.saved : undefined;
    if (holder && readableByOthers(holder.mode)) log.warn(`${holder.path} holds HH_TOKEN_STORE with its password and every user on this machine can read it; run \`chmod 0600 ${holder.path}\``);
    return { password: dsn.password, from: 'the URL in HH_TOKEN_STORE' };
  }
  if (env.PGPASSWORD) return { password: env.PGPASSWORD, from: 'PGPASSWORD' };
  const file = config.get('HH_TOKEN_STORE_PASSWORD_FILE');
  if (file) return { password: firstLine(file.value, 'HH_TOKEN_STORE_PASSWORD_FILE', false)!, from: `HH_TOKEN_STORE_PASSWORD_FILE ${file.value}` };
  if (env.CREDENTIALS_DIRECTORY) {
    const path = join(env.CREDENTIALS_DIRECTORY, DB_PASSWORD_CREDENTIAL);
    const password = firstLine(path, `systemd credential ${DB_PASSWORD_CREDENTIAL}`, true);
    if (password !== undefined) return { password, from: `systemd credential ${DB_PASSWORD_CREDENTIAL}` };
  }
  return fromPassFile(dsn, env);
}

function firstLine(path: string, what: string, optional: boolean): string | undefined {
  const read = readTrustedFile(path, {
    what,
    maxBytes: MAX_BYTES,
    optional,
    unreadable: (code) => configError(`cannot read the database password from ${what} ${path} (${code})`, 'check the path and that this user can read the file'),
  });
  if (!read) return undefined;
  if (readableByOthers(read.mode)) log.warn(`${path} has mode 0${(read.mode & 0o777).toString(8)}: every user on this machine can read the database password; run \`chmod 0600 ${path}\``);
  const line = read.text.split(/\r?\n/)[0]!;
  if (line === '') throw configError(`the first line of ${what} ${path} is empty`, 'put the database password on the first line');
  return line;
}

function fromPassFile(dsn: StoreDsn, env: NodeJS.ProcessEnv): PasswordSource | undefined {
  const explicit = env.PGPASSFILE;
  const path = explicit || join(env.HOME || homedir(), '.pgpass');
  const what = explicit ? 'PGPASSFILE' : 'the password file';
  let read;
  try {
    read = readTrustedFile(path, { what, maxBytes: MAX_BYTES, optional: true });
  } catch (err) {
    if (explicit) throw err;
    log.warn(`skipping ${path}: ${(err as Error).message}`);
    return undefined;
  }
  if (!read) {
    if (explicit) throw configError(`PGPASSFILE names ${path}, which does not exist`, 'fix PGPASSFILE or unset it');
    return undefined;
  }
  // libpq's rule: a password file that group or others may access at all is not used.
  if (read.mode & 0o077) {
    const message = `${path} has mode 0${(read.mode & 0o777).toString(8)}; a password file must not be accessible to group or others`;
    if (explicit) throw configError(`PGPASSFILE: ${message}`, `chmod 0600 ${path}`);
    log.warn(`skipping ${message} (chmod 0600 ${path})`);
    return undefined;
  }
  const password = matchPassFile(read.text, dsn);
  return password === undefined ? undefined : { password, from: `${what} ${path}` };
}

/** The first line of a pgpass file that matches host:port:database:user (`*` matches anything; `\` escapes `:` and `\`). */
export function matchPassFile(text: string, dsn: StoreDsn): string | undefined {
  // libpq matches a Unix socket connection against "localhost".
  const wanted = [dsn.host.startsWith('/') ? 'localhost' : dsn.host, String(dsn.port), dsn.database, dsn.user];
  for (const raw of text.split(/\r?\n/)) {
    if (raw === '' || raw.startsWith('#')) continue;
    const fields = splitFields(raw);
    if (fields.length < 5) continue;
    const password = fields.slice(4).join(':');
    if (wanted.every((want, i) => fields[i] === '*' || fields[i] === want)) return password;
  }
  return undefined;
}

function splitFields(line: string): string[] {
  const fields: string[] = [];
  let current = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === '\\' && i + 1 < line.length) current += line[++i];
    else if (c === ':' && fields.length < 4) {
      fields.push(current);
      current = '';
    } else current += c;
  }
  fields.push(current);
  return fields;
}
