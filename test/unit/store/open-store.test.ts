import { describe, expect, it } from 'vitest';
import { Config } from '../../../src/config/config';
import { openStore, isPostgresDsn } from '../../../src/store/store';
import { hasPassword, withoutPassword } from '../../../src/store/dsn';

/** What the promise rejects with; undefined when it resolves. */
const rejection = (p: Promise<unknown>) => p.then(() => undefined, (err: unknown) => err);
const config = (env: Record<string, string>) => new Config({}, { HH_TOKEN_FILE: '/srv/hh/token.json', ...env }, {}, {});

describe('openStore: HH_TOKEN_STORE picks the store', () => {
  it('unset, empty or blank: the file store, at the token file', async () => {
    for (const env of [{}, { HH_TOKEN_STORE: '' }, { HH_TOKEN_STORE: '  ' }] as Array<Record<string, string>>) {
      const store = await openStore(config(env));
      expect(store.kind, JSON.stringify(env)).toBe('file');
      expect(store.describe()).toBe('/srv/hh/token.json');
      expect(store.locate({ profile: 'acme', kind: 'user' })).toBe('/srv/hh/profiles/acme.json');
    }
  });

  it('postgres:// and postgresql:// open the PostgreSQL store (no connection yet); another machine without sslmode is exit 3', async () => {
    for (const dsn of ['postgres://hh@127.0.0.1/hh', 'postgresql://hh@localhost:6432/hh', 'POSTGRES://hh@[::1]/hh']) {
      expect(isPostgresDsn(dsn), dsn).toBe(true);
      const store = await openStore(config({ HH_TOKEN_STORE: dsn, PGPASSWORD: 'x' }));
      expect(store.kind, dsn).toBe('postgres');
      expect(store.locate({ profile: 'acme', kind: 'user' })).toMatch(/#acme$/);
      await store.close();
    }
    for (const dsn of ['postgres://hh@db/hh', 'postgresql://hh@db/hh?sslmode=prefer']) {
      const err = await rejection(openStore(config({ HH_TOKEN_STORE: dsn })));
      expect(err, dsn).toMatchObject({ code: 'config', message: expect.stringContaining('would cross the network') });
    }
  });

  it('any other value is a config error naming the setting, never echoing the value (it may hold a password)', async () => {
    for (const value of ['mysql://u:s3cretpw@db/x', '/srv/hh/token.json', 'file:///x', 'redis://h']) {
      const err = await rejection(openStore(config({ HH_TOKEN_STORE: value })));
      expect(err, value).toMatchObject({ code: 'config', exitCode: 3, message: expect.stringContaining('HH_TOKEN_STORE') });
      expect(`${(err as Error).message} ${(err as { suggestion?: string }).suggestion}`).not.toContain('s3cretpw');
    }
  });

  it('a DSN is shown without its password', () => {
    expect(withoutPassword('postgresql://hh:s3cret@db.example:5432/hh?sslmode=verify-full')).toBe('postgresql://hh@db.example:5432/hh?sslmode=verify-full');
    expect(withoutPassword('postgres://hh@db/hh')).toBe('postgres://hh@db/hh');
    expect(withoutPassword('postgres://hh:pw@[bad')).not.toContain('pw');
  });

  it('a password in the query (?password=, which libpq and the store read too) counts as one: refused where a DSN must carry none, never shown', () => {
    const dsn = 'postgresql://hh@db.example/hh?sslmode=verify-full&password=s3cretpw';
    expect(hasPassword(dsn)).toBe(true);
    expect(withoutPassword(dsn)).not.toContain('s3cretpw');
    expect(withoutPassword(dsn)).toContain('sslmode=verify-full');
    expect(hasPassword('postgresql://hh@db.example/hh?sslmode=verify-full')).toBe(false);
  });
});
