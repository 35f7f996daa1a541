import { chmodSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/config';
import { HhOauthError } from '../../../src/errors';
import { PostgresStore, openPostgresStore } from '../../../src/store/postgres/index';
import { keptDir } from '../../../src/store/postgres/kept-local';
import { CHANNEL, CURRENT_VERSION } from '../../../src/store/postgres/schema';
import type { Slot } from '../../../src/store/store';
import { startPostgres, useTempDirs, type PostgresCluster, skipWithoutPostgres } from '../../helpers';

/**
 * The PostgreSQL store in-process, against a real throwaway cluster (no driver mocks):
 * init, read/write/list/discard/moved, the row lock, NOTIFY, exit 6 with the server down
 * and nothing spent, exit 7 for a damaged row left as it is, and the pair kept on local disk
 * when the COMMIT fails after hh.ru answered, put in place by the next run.
 */
const fakePairFor = (n: number) => ({ access_token: `AT-${n}-${'a'.repeat(20)}`, refresh_token: `RT-${n}-${'r'.repeat(20)}`, token_type: 'bearer', expires_in: 1209599 });
const recordOf = (answer: Record<string, unknown>) => ({ ...answer, obtained_at: new Date().toISOString(), expires_at: new Date(Date.now() + 1209599_000).toISOString() });
const user = (profile = 'default'): Slot => ({ profile, kind: 'user' });

describe.skipIf(skipWithoutPostgres())('PostgreSQL store', () => {
  let pgc: PostgresCluster;
  const tempDir = useTempDirs('hh-pg-store-');
  let env: NodeJS.ProcessEnv;
  const stores: PostgresStore[] = [];
  const open = async (extra: NodeJS.ProcessEnv = {}) => {
    const e = { ...env, ...extra };
    const store = (await openPostgresStore(loadConfig({}, {}, e), e.HH_TOKEN_STORE!)) as PostgresStore;
    stores.push(store);
    return store;
  };
  const rawClient = () => new pg.Client({ host: '127.0.0.1', port: pgc.port, user: 'hh_test', database: 'hh_test', password: pgc.password });
  /** write() with a grant that answers `answer` and counts its calls. */
  const refreshWith = async (store: PostgresStore, slot: Slot, answer: Record<string, unknown>, calls: { n: number }, during?: () => Promise<void>) =>
    store.write(slot, 10, async (w) => {
      await w.reread();
      return w.spend(
        async () => {
          calls.n++;
          await during?.();
          return answer;
        },
        recordOf,
      );
    });

  beforeAll(async () => {
    pgc = await startPostgres();
    const dir = tempDir();
    mkdirSync(join(dir, 'config'), { mode: 0o700 });
    env = { PATH: process.env.PATH, HOME: dir, HH_CONFIG_DIR: join(dir, 'config'), HH_TOKEN_FILE: join(dir, 'state', 'token.json'), HH_TOKEN_STORE: pgc.dsn, PGPASSWORD: pgc.password };
  }, 120_000);
  afterAll(async () => {
    for (const s of stores) await s.close();
    await pgc?.stop();
  });

  it('store init creates the schema once and says so; a second init is a no-op (versioned, idempotent)', async () => {
    const store = await open();
    expect(await store.init()).toMatch(new RegExp(`schema version ${CURRENT_VERSION} \\(applied: 1\\)`));
    expect(await store.init()).toMatch(/is up to date: schema version 1/);
    const other = await open();
    const both = await Promise.all([other.init(), store.init()]);
    expect(both.every((s) => /up to date/.test(s))).toBe(true);
    expect(await pgc.psql('SELECT count(*) FROM hh_oauth.schema_version')).toBe('1');
  });

  it('a refresh stores the pair in the row; the documented SELECT reads it; the local kept file is gone', async () => {
    const store = await open();
    expect(await store.read(user())).toBeNull();
    const calls = { n: 0 };
    const stored = await refreshWith(store, user(), fakePairFor(1), calls);
    expect(calls.n).toBe(1);
    expect(stored.access_token).toBe(fakePairFor(1).access_token);
    // The bot's SELECT of docs/postgres-store.md.
    expect(await pgc.psql("SELECT access_token FROM hh_oauth.tokens WHERE profile = 'default'")).toBe(fakePairFor(1).access_token);
    expect(await pgc.psql("SELECT refresh_token || '|' || token_type || '|' || expires_in || '|' || (expires_at > now()) || '|' || version FROM hh_oauth.tokens WHERE profile = 'default'")).toBe(
      `${fakePairFor(1).refresh_token}|bearer|1209599|true|1`,
    );
    const read = await store.read(user());
    expect(JSON.parse(read!.text).refresh_token).toBe(fakePairFor(1).refresh_token);
    expect(readdirSync(keptDir(loadConfig({}, {}, env), store.target.name))).toEqual([]);
    expect(store.lastKeptMs).toBeGreaterThan(0);
    expect(store.lastKeptMs).toBeLessThan(200);
  });

  it('announces the rotation with NOTIFY on hh_oauth_token_rotated, the payload the profile and no token', async () => {
    const listener = rawClient();
    await listener.connect();
    const got: { channel: string; payload?: string }[] = [];
    listener.on('notification', (n) => got.push({ channel: n.channel, payload: n.payload }));
    await listener.query(`LISTEN ${CHANNEL}`);
    const store = await open();
    await refreshWith(store, user('shop'), fakePairFor(2), { n: 0 });
    for (let i = 0; i < 50 && got.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    await listener.end();
    expect(got).toEqual([{ channel: CHANNEL, payload: 'shop' }]);
    expect(JSON.stringify(got)).not.toContain('AT-2');
  });

  it('two writers on one row: the second waits for the first, re-reads, and sees its pair (the row lock)', async () => {
    const [a, b] = [await open(), await open()];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const calls = { n: 0 };
    const first = refreshWith(a, user('busy'), fakePairFor(3), calls, () => gate);
    await new Promise((r) => setTimeout(r, 200));
    let seen: string | undefined;
    const second = b.write(user('busy'), 10, async (w) => {
      seen = (await w.reread())?.text;
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(seen).toBeUndefined(); // still waiting on the lock
    release();
    await Promise.all([first, second]);
    expect(JSON.parse(seen!).access_token).toBe(fakePairFor(3).access_token);
  });

  it('a lock held past HH_LOCK_TIMEOUT is exit 7 for the waiter, nothing spent', async () => {
    const holder = rawClient();
    await holder.connect();
    await holder.query('BEGIN');
    await holder.query("SELECT 1 FROM hh_oauth.tokens WHERE profile = 'busy' FOR UPDATE");
    const store = await open();
    const calls = { n: 0 };
    const err = await store.write(user('busy'), 1, (w) => w.spend(async () => (calls.n++, fakePairFor(9)), recordOf)).catch((e) => e);
    await holder.end();
    expect(err).toBeInstanceOf(HhOauthError);
    expect((err as HhOauthError).code).toBe('store');
    expect((err as Error).message).toMatch(/row lock/);
    expect(calls.n).toBe(0);
  });

  it('writeIfFree (FOR UPDATE SKIP LOCKED) skips a row another holds, and takes a free one; dueProfiles lists due rows soonest first', async () => {
    const [a, b] = [await open(), await open()];
    await refreshWith(a, user('free'), fakePairFor(11), { n: 0 });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const held = refreshWith(a, user('free'), fakePairFor(12), { n: 0 }, () => gate);
    await new Promise((r) => setTimeout(r, 200));
    const calls = { n: 0 };
    const t0 = Date.now();
    expect(await b.writeIfFree(user('free'), (w) => w.spend(async () => (calls.n++, fakePairFor(13)), recordOf))).toBeUndefined();
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(calls.n).toBe(0);
    release();
    await held;
    const stored = await b.writeIfFree(user('free'), (w) => w.spend(async () => (calls.n++, fakePairFor(13)), recordOf));
    expect(stored?.access_token).toBe(fakePairFor(13).access_token);
    await pgc.psql("UPDATE hh_oauth.tokens SET expires_at = now() - interval '1 hour' WHERE profile = 'free'");
    expect(await b.dueProfiles(new Date(), 10)).toEqual(['free']);
  });

  it('a damaged row is exit 7 and left exactly as it is', async () => {
    await pgc.psql(`INSERT INTO hh_oauth.tokens (profile, access_token, refresh_token, record) VALUES ('broken', 'AT-x', 'RT-x', '{"access_token": "AT-x"}')`);
    const before = await pgc.psql("SELECT record::text || version || updated_at FROM hh_oauth.tokens WHERE profile = 'broken'");
    const store = await open();
    const err = await store.read(user('broken')).catch((e) => e);
    expect((err as HhOauthError).code).toBe('store');
    expect((err as Error).message).toMatch(/#broken is corrupt: refresh_token is missing/);
    // Columns that disagree with the record: a bot would read another token than the one refreshed.
    await pgc.psql(`UPDATE hh_oauth.tokens SET access_token = 'AT-bot-sees' WHERE profile = 'default'`);
    expect(((await store.read(user()).catch((e) => e)) as Error).message).toMatch(/access_token column is not the access_token of its record/);
    const calls = { n: 0 };
    const w = await refreshWith(store, user('broken'), fakePairFor(4), calls).catch((e) => e);
    expect((w as HhOauthError).code).toBe('store');
    expect(calls.n).toBe(0);
    expect(await pgc.psql("SELECT record::text || version || updated_at FROM hh_oauth.tokens WHERE profile = 'broken'")).toBe(before);
    await pgc.psql(`UPDATE hh_oauth.tokens SET access_token = record->>'access_token' WHERE profile = 'default'`);
  });

  it('lists every profile, streamed past one page (2,500 rows), placeholders and the app token left out', async () => {
    await pgc.psql(
      `INSERT INTO hh_oauth.tokens (profile, access_token, refresh_token, record) SELECT 'p' || lpad(i::text, 5, '0'), 'a', 'r', '{}' FROM generate_series(1, 2500) i; INSERT INTO hh_oauth.tokens (profile) VALUES ('placeholder')`,
    );
    const store = await open();
    const names: string[] = [];
    for await (const entry of store.list()) names.push(entry.name);
    expect(names.filter((n) => n.startsWith('p0')).length).toBe(2500);
    expect(names).not.toContain('placeholder');
    expect(new Set(names).size).toBe(names.length);
    expect(names).toEqual([...names].sort());
    expect(names).toContain('default');
    await pgc.psql("DELETE FROM hh_oauth.tokens WHERE profile LIKE 'p0%' OR profile = 'placeholder'");
  });

  it('discard: only while the row holds the revoked refresh token; keep moves it to set_aside', async () => {
    const store = await open();
    await refreshWith(store, user('gone'), fakePairFor(5), { n: 0 });
    expect(await store.discard(user('gone'), 5, 'RT-other', {})).toEqual({ action: 'replaced' });
    const kept = await store.discard(user('gone'), 5, fakePairFor(5).refresh_token, { keep: true });
    expect(kept).toMatchObject({ action: 'kept', keptAs: expect.stringMatching(/^hh_oauth\.set_aside id \d+$/) });
    expect(await store.read(user('gone'))).toBeNull();
    expect(await pgc.psql("SELECT reason FROM hh_oauth.set_aside WHERE slot LIKE '%#gone'")).toBe('revoked');
    expect(await store.discard(user('gone'), 5, 'x', {})).toEqual({ action: 'missing' });
  });

  it('a moved mark: the row holds no token, and read says where the slot went', async () => {
    const store = await open();
    await refreshWith(store, user('moving'), fakePairFor(6), { n: 0 });
    await store.write(user('moving'), 5, (w) => w.put({ moved_to: '/var/lib/hh-token/token.json', moved_at: new Date().toISOString() }));
    const read = await store.read(user('moving'));
    expect(read?.movedTo).toBe('/var/lib/hh-token/token.json');
    expect(await pgc.psql("SELECT coalesce(access_token, 'none') || coalesce(refresh_token, 'none') FROM hh_oauth.tokens WHERE profile = 'moving'")).toBe('nonenone');
  });

  it('the app token lives in hh_oauth.app_token, beside the profiles', async () => {
    const store = await open();
    await store.write({ profile: '', kind: 'app' }, 5, (w) => w.spend(async () => ({ access_token: 'APP-1-xxxxxxxx', token_type: 'bearer' }), (a) => ({ ...a, obtained_at: new Date().toISOString() })));
    expect(await pgc.psql('SELECT access_token FROM hh_oauth.app_token')).toBe('APP-1-xxxxxxxx');
    expect(JSON.parse((await store.read({ profile: 'x', kind: 'app' }))!.text).access_token).toBe('APP-1-xxxxxxxx');
  });

  it('the server stopped: exit 6 and the grant never called; back up, the write goes through', async () => {
    const store = await open();
    await store.read(user()); // a pooled connection, which the stop ends
    await pgc.halt();
    try {
      const calls = { n: 0 };
      const err = await refreshWith(store, user(), fakePairFor(7), calls).catch((e) => e);
      expect((err as HhOauthError).code).toBe('temporary');
      expect((err as Error).message).toMatch(/unreachable or restarting.*nothing was sent to hh\.ru/);
      expect(calls.n).toBe(0);
      const fresh = await open();
      const err2 = await refreshWith(fresh, user(), fakePairFor(7), calls).catch((e) => e);
      expect((err2 as HhOauthError).code).toBe('temporary');
      expect(calls.n).toBe(0);
    } finally {
      await pgc.start();
    }
    const calls = { n: 0 };
    await refreshWith(await open(), user(), fakePairFor(7), calls);
    expect(calls.n).toBe(1);
  }, 60_000);

  it('the COMMIT fails after hh.ru answered (backend terminated): the pair is on local disk, and the next run puts it in place', async () => {
    const store = await open();
    const before = await pgc.psql("SELECT version FROM hh_oauth.tokens WHERE profile = 'default'");
    const err = await refreshWith(store, user(), fakePairFor(8), { n: 0 }, async () => {
      // hh.ru has spent the old token; the database session goes before the answer is stored.
      await pgc.psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'hh-oauth' AND state LIKE 'idle in transaction%'");
    }).catch((e) => e);
    expect((err as HhOauthError).code).toBe('temporary');
    expect((err as Error).message).toMatch(/hh\.ru issued a new token pair, but storing it .* failed .*kept on this host in .*user-default\.v\d+\.json/);
    expect(await pgc.psql("SELECT version FROM hh_oauth.tokens WHERE profile = 'default'")).toBe(before);
    const dir = keptDir(loadConfig({}, {}, env), store.target.name);
    expect(readdirSync(dir)).toEqual([`user-default.v${before}.json`]);
    // The next run: a fresh process's store puts the kept pair in place before anything else.
    const next = await open();
    const read = await next.read(user());
    expect(JSON.parse(read!.text).refresh_token).toBe(fakePairFor(8).refresh_token);
    expect(await pgc.psql("SELECT refresh_token FROM hh_oauth.tokens WHERE profile = 'default'")).toBe(fakePairFor(8).refresh_token);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a kept file for a version the row has moved past is stale: removed, the row untouched', async () => {
    const store = await open();
    const version = Number(await pgc.psql("SELECT version FROM hh_oauth.tokens WHERE profile = 'default'"));
    const dir = keptDir(loadConfig({}, {}, env), store.target.name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `user-default.v${version - 1}.json`), JSON.stringify(recordOf(fakePairFor(99))), { mode: 0o600 });
    const read = await (await open()).read(user());
    expect(JSON.parse(read!.text).refresh_token).toBe(fakePairFor(8).refresh_token);
    expect(existsSync(join(dir, `user-default.v${version - 1}.json`))).toBe(false);
  });

  it('a kept pair whose row was busy at the start-of-run sweep is adopted inside the write itself: the grant never sees the spent token', async () => {
    const version = Number(await pgc.psql("SELECT version FROM hh_oauth.tokens WHERE profile = 'default'"));
    const store = await open();
    const dir = keptDir(loadConfig({}, {}, env), store.target.name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `user-default.v${version}.json`), JSON.stringify(recordOf(fakePairFor(50))), { mode: 0o600 });
    const holder = rawClient();
    await holder.connect();
    await holder.query('BEGIN');
    await holder.query("SELECT 1 FROM hh_oauth.tokens WHERE profile = 'default' FOR UPDATE");
    let seen: string | undefined;
    const writing = store.write(user(), 10, async (w) => {
      seen = JSON.parse((await w.reread())!.text).refresh_token;
      return w.spend(async () => fakePairFor(51), recordOf);
    });
    await new Promise((r) => setTimeout(r, 300));
    await holder.query('COMMIT');
    await holder.end();
    await writing;
    expect(seen).toBe(fakePairFor(50).refresh_token);
    expect(await pgc.psql("SELECT refresh_token || '|' || version FROM hh_oauth.tokens WHERE profile = 'default'")).toBe(`${fakePairFor(51).refresh_token}|${version + 2}`);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a write never sees a kept file it may not trust: a kept pair writable by others is refused (exit 7), nothing spent', async () => {
    const store = await open();
    const version = Number(await pgc.psql("SELECT version FROM hh_oauth.tokens WHERE profile = 'default'"));
    const dir = keptDir(loadConfig({}, {}, env), store.target.name);
    const path = join(dir, `user-default.v${version}.json`);
    writeFileSync(path, JSON.stringify(recordOf(fakePairFor(98))));
    chmodSync(path, 0o666);
    const calls = { n: 0 };
    const err = await refreshWith(await open(), user(), fakePairFor(10), calls).catch((e) => e);
    expect((err as HhOauthError).code).toBe('store');
    expect(calls.n).toBe(0);
    chmodSync(path, 0o600);
    // Trusted now: it is put in place (it names the row's version, so it replaces what the row holds).
    expect(JSON.parse((await (await open()).read(user()))!.text).refresh_token).toBe(fakePairFor(98).refresh_token);
  });
});
