import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/config';
import { HhOauthError } from '../../../src/errors';
import { connect, dbError, resolveTarget } from '../../../src/store/postgres/connection';
import { parseStoreDsn, redactDsn } from '../../../src/store/postgres/dsn';
import { findPassword, matchPassFile } from '../../../src/store/postgres/password';
import { tlsFor } from '../../../src/store/postgres/tls';
import { errorCodeOf, startPostgres, useTempDirs, type PostgresCluster, skipWithoutPostgres } from '../../helpers';

/** HH_TOKEN_STORE's URL, the TLS rule, the password's sources and the redaction (pure, then against a real server). */
const tempDir = useTempDirs('hh-pg-conn-');
const noHome = { HOME: '/nonexistent' };

describe('the TLS rule', () => {
  const cases: Array<[string, 'none' | 'unverified' | 'verified' | 'refused']> = [
    ['postgresql://u@127.0.0.1/db', 'none'],
    ['postgresql://u@localhost/db?sslmode=prefer', 'none'],
    ['postgresql://u@[::1]/db?sslmode=disable', 'none'],
    ['postgresql:///db?host=/var/run/postgresql', 'none'],
    ['postgresql://u@127.0.0.1/db?sslmode=require', 'unverified'],
    ['postgresql://u@db.internal/db', 'refused'],
    ['postgresql://u@db.internal/db?sslmode=disable', 'refused'],
    ['postgresql://u@db.internal/db?sslmode=allow', 'refused'],
    ['postgresql://u@db.internal/db?sslmode=prefer', 'refused'],
    ['postgresql://u@10.0.0.5/db?sslmode=require', 'unverified'],
    ['postgresql://u@db.internal/db?sslmode=verify-full', 'verified'],
    // Names the resolver sends to DNS (nsswitch `hosts: files dns`), which may answer any address.
    ['postgresql://u@db.localhost/db', 'refused'],
    ['postgresql://u@127.0.0.999/db', 'refused'],
    ['postgres://u@db.internal:6432/db?sslmode=verify-ca', 'verified'],
  ];
  it.each(cases)('%s → %s', (url, want) => {
    const dsn = parseStoreDsn(url, noHome);
    let got: string;
    try {
      const t = tlsFor(dsn, '/nonexistent');
      got = t.ssl === false ? 'none' : t.ssl.rejectUnauthorized ? 'verified' : 'unverified';
      if (got === 'unverified' && !dsn.host.startsWith('127')) expect(t.warning).toMatch(/does not verify the server/);
    } catch (err) {
      expect((err as HhOauthError).code).toBe('config');
      expect((err as Error).message).toMatch(/would cross the network/);
      expect((err as HhOauthError).suggestion).toMatch(/sslmode=verify-full/);
      got = 'refused';
    }
    expect(got).toBe(want);
  });

  it('PGSSLMODE counts as written by the operator; the URL wins over it', () => {
    expect(tlsFor(parseStoreDsn('postgresql://u@db.internal/db', { PGSSLMODE: 'require' }), '/nonexistent').ssl).toMatchObject({ rejectUnauthorized: false });
    expect(errorCodeOf(() => tlsFor(parseStoreDsn('postgresql://u@db.internal/db?sslmode=prefer', { PGSSLMODE: 'verify-full' }), '/nonexistent'))).toBe('config');
  });

  it('verify-full checks the name: servername is the host, the CA from sslrootcert', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'ca.crt'), '-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n');
    const t = tlsFor(parseStoreDsn(`postgresql://u@db.internal/db?sslmode=verify-full&sslrootcert=${join(dir, 'ca.crt')}`, {}), '/nonexistent');
    expect(t.ssl).toMatchObject({ rejectUnauthorized: true, servername: 'db.internal', ca: expect.stringContaining('BEGIN CERTIFICATE') });
    expect(t.warning).toBeUndefined();
  });
});

describe('the URL', () => {
  it('fills what it leaves out from PG* variables', () => {
    const d = parseStoreDsn('postgresql://', { PGHOST: 'h', PGPORT: '6000', PGUSER: 'bob', PGDATABASE: 'tokens', PGSSLMODE: 'verify-full' });
    expect(d).toMatchObject({ host: 'h', port: 6000, user: 'bob', database: 'tokens', sslmode: 'verify-full' });
  });
  it.each([
    ['postgresql://u@h/db?sslmod=require', /unknown parameter "sslmod"/],
    ['postgresql://u@h1,h2/db', /several hosts/],
    ['postgresql://u@h:99999/db', /does not parse as a URL/],
    ['postgresql://u@h/db?port=99999', /not a port/],
    ['postgresql://u@h/db?sslmode=maybe', /sslmode=maybe/],
    ['mysql://u@h/db', /must start with postgres/],
  ])('refuses %s (exit 3)', (url, why) => {
    let err: unknown;
    try {
      parseStoreDsn(url, {});
    } catch (e) {
      err = e;
    }
    expect((err as HhOauthError).code).toBe('config');
    expect((err as Error).message).toMatch(why);
  });
  it('redactDsn takes the password out, in the userinfo and in ?password=', () => {
    expect(redactDsn('postgresql://u:s3cr%2Ft@h:5432/db?sslmode=require')).toBe('postgresql://u@h:5432/db?sslmode=require');
    expect(redactDsn('postgresql://u@h/db?password=s3cret')).not.toContain('s3cret');
    expect(redactDsn('postgresql://u:pw@[bad')).toBe('postgresql://…');
  });
});

describe('the password file format', () => {
  const dsn = parseStoreDsn('postgresql://bob@db.internal:5432/tokens?sslmode=require', {});
  it.each([
    ['db.internal:5432:tokens:bob:pw1', 'pw1'],
    ['*:*:*:*:pw2', 'pw2'],
    ['other:5432:tokens:bob:no\n*:5432:tokens:bob:pw3', 'pw3'],
    ['db.internal:5432:tokens:bob:with\\:colon\\\\', 'with:colon\\'],
    ['# comment\ndb.internal:5433:tokens:bob:no', undefined],
  ])('%j → %j', (text, want) => expect(matchPassFile(text, dsn)).toBe(want));
  it('a Unix socket matches localhost, as libpq does', () => {
    expect(matchPassFile('localhost:5432:db:u:sock', parseStoreDsn('postgresql:///db?host=/run/pg&user=u', {}))).toBe('sock');
  });
});

describe.skipIf(skipWithoutPostgres())('the password against a real server (scram)', () => {
  let pgc: PostgresCluster;
  let home: string;
  beforeAll(async () => {
    pgc = await startPostgres();
    home = tempDir();
    mkdirSync(join(home, 'config'), { mode: 0o700 });
  }, 120_000);
  afterAll(async () => pgc?.stop());
  const envWith = (extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv => ({ PATH: process.env.PATH, HOME: home, HH_CONFIG_DIR: join(home, 'config'), HH_TOKEN_STORE: pgc.dsn, ...extra });
  const tryConnect = async (env: NodeJS.ProcessEnv, dsn = env.HH_TOKEN_STORE!) => {
    const target = resolveTarget(loadConfig({}, {}, env), dsn, env);
    const db = await connect(target);
    const rows = await db.query<{ u: string }>('SELECT current_user AS u');
    await db.end();
    return rows[0]!.u;
  };
  const failure = async (fn: () => Promise<unknown>) => {
    try {
      await fn();
    } catch (err) {
      return err as HhOauthError;
    }
    throw new Error('expected a failure');
  };

  it('from the URL, PGPASSWORD, HH_TOKEN_STORE_PASSWORD_FILE, the systemd credential, PGPASSFILE', async () => {
    expect(await tryConnect(envWith({ HH_TOKEN_STORE: pgc.dsnWithPassword }))).toBe('hh_test');
    expect(await tryConnect(envWith({ PGPASSWORD: pgc.password }))).toBe('hh_test');
    const file = join(home, 'db-password');
    writeFileSync(file, `${pgc.password}\n`, { mode: 0o600 });
    expect(await tryConnect(envWith({ HH_TOKEN_STORE_PASSWORD_FILE: file }))).toBe('hh_test');
    const creds = join(home, 'creds');
    mkdirSync(creds, { mode: 0o700 });
    writeFileSync(join(creds, 'hh-db-password'), pgc.password, { mode: 0o600 });
    expect(await tryConnect(envWith({ CREDENTIALS_DIRECTORY: creds }))).toBe('hh_test');
    const pass = join(home, 'pgpass');
    writeFileSync(pass, `127.0.0.1:${pgc.port}:hh_test:hh_test:${pgc.password}\n`, { mode: 0o600 });
    expect(await tryConnect(envWith({ PGPASSFILE: pass }))).toBe('hh_test');
    const cfg = loadConfig({}, {}, envWith({ PGPASSWORD: 'first', HH_TOKEN_STORE_PASSWORD_FILE: file }));
    expect(findPassword(cfg, parseStoreDsn(pgc.dsn, {}), cfg.env)?.from).toBe('PGPASSWORD');
  });

  it('a PGPASSFILE that group or others may read is refused (exit 3, the chmod named); ~/.pgpass so is skipped', async () => {
    const pass = join(home, 'pgpass-open');
    writeFileSync(pass, `*:*:*:*:${pgc.password}\n`);
    chmodSync(pass, 0o640);
    const err = await failure(() => tryConnect(envWith({ PGPASSFILE: pass })));
    expect(err.code).toBe('config');
    expect(err.message).toMatch(/must not be accessible to group or others/);
    expect(err.suggestion).toBe(`chmod 0600 ${pass}`);
    expect(err.message).not.toContain(pgc.password);
    writeFileSync(join(home, '.pgpass'), `*:*:*:*:${pgc.password}\n`);
    chmodSync(join(home, '.pgpass'), 0o644);
    const skipped = await failure(() => tryConnect(envWith({})));
    expect(skipped.code).toBe('config');
    expect(skipped.message).toMatch(/asks for a password and none is set/);
    chmodSync(join(home, '.pgpass'), 0o600);
    expect(await tryConnect(envWith({}))).toBe('hh_test');
  });

  it('a wrong password is exit 3, and no message carries a password', async () => {
    const wrong = 'not-the-password-1234';
    const err = await failure(() => tryConnect(envWith({ PGPASSWORD: wrong })));
    expect(err.code).toBe('config');
    expect(err.message).toMatch(/refused the login of hh_test: password authentication failed/);
    expect(`${err.message} ${err.suggestion} ${(err.cause as Error).message}`).not.toContain(wrong);
  });

  it('an unreachable server is exit 6 (nothing spent), naming the database without a password', async () => {
    const env = envWith({ HH_TOKEN_STORE: pgc.dsnWithPassword.replace(`:${pgc.port}/`, ':1/') });
    const err = await failure(() => tryConnect(env));
    expect(err.code).toBe('temporary');
    expect(err.message).toMatch(/hh_test@127\.0\.0\.1:1\/hh_test is unreachable or restarting/);
    expect(err.message).not.toContain(pgc.password);
  });

  it('dbError scrubs the password out of any driver message, and never uses detail', () => {
    const target = resolveTarget(loadConfig({}, {}, envWith({ PGPASSWORD: 'hunter2-secret' })), pgc.dsn, envWith({ PGPASSWORD: 'hunter2-secret' }));
    const err = dbError(Object.assign(new Error('bad thing near hunter2-secret'), { code: '22000', detail: 'Failing row contains (AT-secret)' }), target, 'query');
    expect(err.code).toBe('store');
    expect(err.message).not.toContain('hunter2-secret');
    expect(err.message).not.toContain('AT-secret');
    expect(String((err.cause as Error).message)).not.toContain('hunter2-secret');
  });
});
