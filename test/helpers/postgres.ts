import { execFile, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { localUser, type LocalUser } from './local-users';
import { freePort } from './net';
import { isRoot, skipUnless } from './tools';

/**
 * A throwaway PostgreSQL cluster for the tests and bench scripts: initdb and pg_ctl from
 * Debian's packages (/usr/lib/postgresql/N/bin, never the /usr/local/bin links CI lacks),
 * run as an unprivileged account because initdb refuses root, in a temporary directory
 * removed afterwards. It listens on a Unix socket in that directory (trust, for the test's
 * own psql) and on a free loopback TCP port with scram-sha-256 password authentication, so
 * that the CLI under test goes through real password handling.
 */

/** The account the cluster runs as when the tests run as root. */
export const POSTGRES_OS_USER = 'hh-e2e-postgres';
export const POSTGRES_ROLE = 'hh_test';
export const POSTGRES_DATABASE = 'hh_test';

/** The newest PostgreSQL bin directory with initdb, pg_ctl and psql, or undefined. */
export function postgresBinDir(): string | undefined {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return undefined;
  const versions = readdirSync(base)
    .filter((v) => /^\d+(\.\d+)?$/.test(v))
    .sort((a, b) => Number(b) - Number(a));
  for (const v of versions) {
    const bin = join(base, v, 'bin');
    if (['initdb', 'pg_ctl', 'psql', 'postgres'].every((t) => existsSync(join(bin, t)))) return bin;
  }
  return undefined;
}

/** Whether a cluster can be started here: the binaries, and root (to make the account) or an ordinary user. */
export const canRunPostgres = postgresBinDir() !== undefined && (!isRoot || existsSync('/usr/sbin/useradd') || existsSync('/sbin/useradd'));

/** For `describe.skipIf(…)` of a suite that needs a server: the reason printed, never a skip under CI (skipUnless). */
export const skipWithoutPostgres = (): boolean => skipUnless(canRunPostgres, 'PostgreSQL (initdb under /usr/lib/postgresql/*/bin) is not installed');

export interface PostgresCluster {
  /** postgresql://hh_test@127.0.0.1:PORT/hh_test: the TCP DSN, without the password. */
  dsn: string;
  /** The role's password (scram-sha-256 on TCP). */
  password: string;
  /** The DSN with the password in it, for the cases that pass it that way. */
  dsnWithPassword: string;
  socketDir: string;
  port: number;
  /** The cluster's own directory (data, socket, log). */
  dir: string;
  /** Stops the server and removes everything. */
  stop(): Promise<void>;
  /** Stops the server (fast: open sessions are ended) and keeps the data: the database "gone". */
  halt(): Promise<void>;
  /** Starts a halted server again on the same port. */
  start(): Promise<void>;
  /** halt() then start(). */
  restart(): Promise<void>;
  /** Runs SQL as the superuser over the socket (the SQL on stdin, never in argv); unaligned, tuples only. */
  psql(sql: string, opts?: { database?: string }): Promise<string>;
  /** The server log so far (for failure messages). */
  log(): string;
}

function randomPassword(): string {
  return `pw-${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;
}

function run(cmd: string, args: string[], opts: { user?: LocalUser; cwd: string; input?: string; timeoutMs?: number }): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const full = opts.user ? [...opts.user.wrap(), cmd, ...args] : [cmd, ...args];
  return new Promise((resolve) => {
    const child = execFile(
      full[0]!,
      full.slice(1),
      { cwd: opts.cwd, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8', TZ: 'UTC' }, timeout: opts.timeoutMs ?? 60_000, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const status = (err as { code?: unknown } | null)?.code;
        const code = err ? (typeof status === 'number' ? status : 1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
    else child.stdin?.end();
  });
}

const running = new Set<() => void>();
process.once('exit', () => {
  for (const kill of running) kill();
});

/** Starts a fresh cluster: initdb, pg_ctl start, the test role with its password and the test database. */
export async function startPostgres(opts: { settings?: Record<string, string> } = {}): Promise<PostgresCluster> {
  const bin = postgresBinDir();
  if (!bin) throw new Error('PostgreSQL not installed: no /usr/lib/postgresql/*/bin/initdb (apt-get install postgresql)');
  const user = isRoot ? localUser(POSTGRES_OS_USER) : undefined;
  const dir = mkdtempSync(join(tmpdir(), 'hh-pg-'));
  const data = join(dir, 'data');
  const socketDir = join(dir, 'sock');
  const logFile = join(dir, 'server.log');
  const pwFile = join(dir, 'pwfile');
  const password = randomPassword();
  writeFileSync(pwFile, `${password}\n`, { mode: 0o600 });
  spawnSync('mkdir', ['-p', socketDir]);
  if (user) for (const p of [dir, socketDir, pwFile]) chownSync(p, user.uid, user.gid);
  const initdb = await run(
    join(bin, 'initdb'),
    ['-D', data, '-U', POSTGRES_ROLE, `--pwfile=${pwFile}`, '--auth-local=trust', '--auth-host=scram-sha-256', '--encoding=UTF8', '--no-locale', '--no-sync'],
    { user, cwd: dir },
  );
  rmSync(pwFile, { force: true });
  if (initdb.code !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`initdb failed: ${initdb.stderr || initdb.stdout}`);
  }
  const port = await freePort();
  const settings: Record<string, string> = {
    listen_addresses: "'127.0.0.1'",
    port: String(port),
    unix_socket_directories: `'${socketDir}'`,
    password_encryption: "'scram-sha-256'",
    fsync: 'off', // a throwaway cluster: durability across a host crash is not what these tests measure
    synchronous_commit: 'off',
    full_page_writes: 'off',
    max_connections: '300',
    shared_buffers: "'32MB'",
    log_min_messages: "'warning'",
    ...opts.settings,
  };
  writeFileSync(
    join(data, 'postgresql.auto.conf'),
    Object.entries(settings)
      .map(([k, v]) => `${k} = ${v}\n`)
      .join(''),
  );
  if (user) chownSync(join(data, 'postgresql.auto.conf'), user.uid, user.gid);

  const pgCtl = (args: string[]) => run(join(bin, 'pg_ctl'), ['-D', data, ...args], { user, cwd: dir, timeoutMs: 90_000 });
  let up = false;
  const kill = () => {
    if (up) spawnSync(user ? user.wrap()[0]! : join(bin, 'pg_ctl'), user ? [...user.wrap().slice(1), join(bin, 'pg_ctl'), '-D', data, 'stop', '-m', 'immediate'] : ['-D', data, 'stop', '-m', 'immediate'], { cwd: dir, stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
  };
  running.add(kill);

  const readLog = () => {
    try {
      return spawnSync('cat', [logFile], { encoding: 'utf8' }).stdout;
    } catch {
      return '';
    }
  };
  const start = async () => {
    const out = await pgCtl(['start', '-w', '-t', '60', '-l', logFile]);
    if (out.code !== 0) throw new Error(`pg_ctl start failed: ${out.stderr || out.stdout}\n${readLog()}`);
    up = true;
  };
  const halt = async () => {
    if (!up) return;
    const out = await pgCtl(['stop', '-w', '-t', '60', '-m', 'fast']);
    if (out.code !== 0) throw new Error(`pg_ctl stop failed: ${out.stderr || out.stdout}`);
    up = false;
  };
  const psql = async (sql: string, o: { database?: string } = {}) => {
    const out = await run(join(bin, 'psql'), ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-h', socketDir, '-p', String(port), '-U', POSTGRES_ROLE, '-d', o.database ?? POSTGRES_DATABASE, '-f', '-'], {
      cwd: dir,
      input: sql,
    });
    if (out.code !== 0) throw new Error(`psql failed: ${out.stderr}`);
    return out.stdout.replace(/\n$/, '');
  };

  try {
    await start();
    await psql(`CREATE DATABASE ${POSTGRES_DATABASE}`, { database: 'postgres' });
  } catch (err) {
    kill();
    running.delete(kill);
    throw err;
  }
  const dsn = `postgresql://${POSTGRES_ROLE}@127.0.0.1:${port}/${POSTGRES_DATABASE}`;
  return {
    dsn,
    password,
    dsnWithPassword: `postgresql://${POSTGRES_ROLE}:${encodeURIComponent(password)}@127.0.0.1:${port}/${POSTGRES_DATABASE}`,
    socketDir,
    port,
    dir,
    psql,
    halt,
    start,
    restart: async () => {
      await halt();
      await start();
    },
    stop: async () => {
      try {
        await halt();
      } finally {
        running.delete(kill);
        rmSync(dir, { recursive: true, force: true });
      }
    },
    log: readLog,
  };
}
