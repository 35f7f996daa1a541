import { configError } from '../../errors';

/**
 * HH_TOKEN_STORE's postgres:// (or postgresql://) URL, read as libpq reads one, with the
 * usual PG* variables filling what the URL leaves out (PGHOST, PGPORT, PGDATABASE, PGUSER,
 * PGSSLMODE, PGSSLROOTCERT, PGSSLCERT, PGSSLKEY, PGCONNECT_TIMEOUT, PGAPPNAME). One host
 * only. A parameter libpq would take but hh-oauth does not (or a typo) is refused rather
 * than ignored: an ignored `sslmode` would be a silent downgrade.
 */
export type SslMode = 'disable' | 'allow' | 'prefer' | 'require' | 'verify-ca' | 'verify-full';
const SSL_MODES: readonly SslMode[] = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'];

export interface StoreDsn {
  /** A host name or address, or a Unix socket directory (starts with /). */
  host: string;
  port: number;
  database: string;
  user: string;
  /** From the URL itself (userinfo or ?password=); PGPASSWORD and files are connection.ts's. */
  password?: string;
  /** undefined: not given anywhere (neither the URL nor PGSSLMODE). */
  sslmode?: SslMode;
  sslrootcert?: string;
  sslcert?: string;
  sslkey?: string;
  connectTimeoutSeconds?: number;
  applicationName?: string;
}

const PARAMS = ['host', 'hostaddr', 'port', 'dbname', 'user', 'password', 'sslmode', 'sslrootcert', 'sslcert', 'sslkey', 'connect_timeout', 'application_name'] as const;

const bad = (why: string) =>
  configError(`HH_TOKEN_STORE is not a PostgreSQL URL hh-oauth can use: ${why}`, 'write it as postgresql://USER@HOST:PORT/DATABASE?sslmode=verify-full (the password in PGPASSFILE or HH_TOKEN_STORE_PASSWORD_FILE, not the URL)');

function decode(part: string, what: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw bad(`its ${what} has a broken %-escape`);
  }
}

export function parseStoreDsn(dsn: string, env: NodeJS.ProcessEnv = process.env, osUser = 'postgres'): StoreDsn {
  if (!/^postgres(ql)?:\/\//i.test(dsn)) throw bad('it must start with postgres:// or postgresql://');
  let url: URL;
  try {
    url = new URL(dsn);
  } catch {
    throw bad('it does not parse as a URL');
  }
  const query = new Map<string, string>();
  for (const [key, value] of url.searchParams) {
    if (!(PARAMS as readonly string[]).includes(key)) throw bad(`unknown parameter ${JSON.stringify(key)} (hh-oauth reads ${PARAMS.join(', ')})`);
    if (query.has(key)) throw bad(`parameter ${key} is given twice`);
    query.set(key, value);
  }
  const urlHost = decode(url.hostname, 'host').replace(/^\[(.*)\]$/, '$1');
  if (urlHost.includes(',') || url.host.includes(',')) throw bad('it names several hosts; hh-oauth connects to one');
  const host = urlHost || query.get('host') || query.get('hostaddr') || env.PGHOST || '/var/run/postgresql';
  if (host.includes(',')) throw bad('it names several hosts; hh-oauth connects to one');
  const portText = url.port || query.get('port') || env.PGPORT || '5432';
  if (!/^\d{1,5}$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) throw bad(`the port ${JSON.stringify(portText)} is not a port number`);
  const user = decode(url.username, 'user name') || query.get('user') || env.PGUSER || osUser;
  const database = decode(url.pathname.replace(/^\//, ''), 'database name') || query.get('dbname') || env.PGDATABASE || user;
  if (database.includes('/')) throw bad('the database name has a / in it');
  const password = decode(url.password, 'password') || query.get('password') || undefined;
  const modeText = query.get('sslmode') ?? env.PGSSLMODE;
  if (modeText !== undefined && modeText !== '' && !(SSL_MODES as readonly string[]).includes(modeText)) {
    throw bad(`sslmode=${modeText} is not one of ${SSL_MODES.join(', ')}`);
  }
  const timeoutText = query.get('connect_timeout') ?? env.PGCONNECT_TIMEOUT;
  if (timeoutText !== undefined && timeoutText !== '' && !/^\d+$/.test(timeoutText)) throw bad(`connect_timeout=${timeoutText} is not a whole number of seconds`);
  return {
    host,
    port: Number(portText),
    database,
    user,
    password,
    sslmode: modeText ? (modeText as SslMode) : undefined,
    sslrootcert: query.get('sslrootcert') ?? env.PGSSLROOTCERT,
    sslcert: query.get('sslcert') ?? env.PGSSLCERT,
    sslkey: query.get('sslkey') ?? env.PGSSLKEY,
    connectTimeoutSeconds: timeoutText ? Number(timeoutText) : undefined,
    applicationName: query.get('application_name') ?? env.PGAPPNAME,
  };
}

/**
 * A Unix socket, localhost, 127.0.0.0/8 or ::1: the password does not cross a network.
 * Not `*.localhost`, nor a dotted form that is not an address (127.0.0.999): the resolver
 * sends those to DNS (`hosts: files dns`), which may answer with any machine.
 */
export function isLoopback(host: string): boolean {
  if (host.startsWith('/')) return true;
  const h = host.toLowerCase();
  const octets = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(h);
  return h === 'localhost' || (octets !== null && octets.slice(1).every((o) => Number(o) <= 255)) || h === '::1' || h === '0:0:0:0:0:0:0:1';
}

/**
 * The DSN as it may be printed: the password (userinfo or ?password=) taken out. A value
 * that does not parse shows its scheme only, since the rest may hold the password.
 */
export function redactDsn(dsn: string): string {
  try {
    const url = new URL(dsn);
    if (url.password !== '') url.password = '';
    if (url.searchParams.has('password')) url.searchParams.set('password', 'REDACTED');
    return url.toString();
  } catch {
    return `${dsn.split('://')[0]}://…`;
  }
}

/** How messages name the database: user@host:port/database (never a password). */
export function describeTarget(dsn: StoreDsn): string {
  const host = dsn.host.startsWith('/') ? `[socket ${dsn.host}]` : dsn.host.includes(':') ? `[${dsn.host}]` : dsn.host;
  return `${dsn.user}@${host}:${dsn.port}/${dsn.database}`;
}
