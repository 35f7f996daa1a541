import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { log } from '../../../src/output';
import { loadConfig } from '../../../src/config/config';
import { copySlot } from '../../../src/store/copy';
import { fileStore } from '../../../src/store/file-store';
import { PostgresStore, openPostgresStore } from '../../../src/store/postgres/index';
import { dropKept, keptDir, keptVersions, moveOnFromAdopted } from '../../../src/store/postgres/kept-local';
import type { Slot } from '../../../src/store/store';
import { canUseLocalUsers, localUser, OTHER_USER, runAs, skipUnless, startPostgres, useTempDirs, type PostgresCluster, skipWithoutPostgres } from '../../helpers';

/**
 * The PostgreSQL store's pairs under a failing COMMIT or a lost session (review, session 4):
 * a pair hh.ru issued must survive each of these on local disk or in the row.
 */
const fakePairFor = (n: number) => ({ access_token: `AT-${n}-${'a'.repeat(20)}`, refresh_token: `RT-${n}-${'r'.repeat(20)}`, token_type: 'bearer', expires_in: 1209599 });
const recordOf = (answer: Record<string, unknown>) => ({ ...answer, obtained_at: new Date().toISOString(), expires_at: new Date(Date.now() + 1209599_000).toISOString() });
const user = (profile = 'default'): Slot => ({ profile, kind: 'user' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(skipWithoutPostgres())('PostgreSQL store: pairs under a failing COMMIT', () => {
  let pgc: PostgresCluster;
  const tempDir = useTempDirs('hh-pg-review-');
  let env: NodeJS.ProcessEnv;
  const stores: PostgresStore[] = [];
  const open = async () => {
    const store = (await openPostgresStore(loadConfig({}, {}, env), env.HH_TOKEN_STORE!)) as PostgresStore;
    stores.push(store);
    return store;
  };
  const rawClient = () => new pg.Client({ host: '127.0.0.1', port: pgc.port, user: 'hh_test', database: 'hh_test', password: pgc.password });
  const terminateWriters = () => pgc.psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'hh-oauth' AND state LIKE 'idle in transaction%'");
  const refreshTokenIn = (profile: string) => pgc.psql(`SELECT refresh_token FROM hh_oauth.tokens WHERE profile = '${profile}'`);
  const versionOf = async (profile: string) => Number(await pgc.psql(`SELECT version FROM hh_oauth.tokens WHERE profile = '${profile}'`));
  const seed = async (profile: string, n: number) => (await open()).write(user(profile), 10, (w) => w.spend(async () => fakePairFor(n), recordOf));

  beforeAll(async () => {
    pgc = await startPostgres();
    const dir = tempDir();
    mkdirSync(join(dir, 'config'), { mode: 0o700 });
    env = { PATH: process.env.PATH, HOME: dir, HH_CONFIG_DIR: join(dir, 'config'), HH_TOKEN_FILE: join(dir, 'state', 'token.json'), HH_TOKEN_STORE: pgc.dsn, PGPASSWORD: pgc.password };
    await (await open()).init();
  }, 120_000);
  afterAll(async () => {
    for (const s of stores) await s.close();
    await pgc?.stop();
  });

  it('a kept pair adopted inside a write whose COMMIT then fails: the next run has the NEW pair, not the adopted one the grant spent', async () => {
    await seed('adopt', 1);
    const version = await versionOf('adopt');
    const store = await open();
    const dir = keptDir(loadConfig({}, {}, env), store.target.name);
    mkdirSync(dir, { recursive: true });
    // A pair an earlier run on this host kept (its COMMIT failed): the row's token is spent.
    writeFileSync(join(dir, `user-adopt.v${version}.json`), JSON.stringify(recordOf(fakePairFor(2))), { mode: 0o600 });
    // Busy at the start-of-run sweep, so the write adopts the kept pair in its own transaction.
    const holder = rawClient();
    await holder.connect();
    await holder.query('BEGIN');
    await holder.query("SELECT 1 FROM hh_oauth.tokens WHERE profile = 'adopt' FOR UPDATE");
    const spent: string[] = [];
    const writing = store
      .write(user('adopt'), 10, async (w) => {
        const current = JSON.parse((await w.reread())!.text).refresh_token as string;
        return w.spend(async () => {
          spent.push(current);
          // hh.ru has spent pair 2's refresh token and answers pair 3; the session goes before the COMMIT.
          await terminateWriters();
          return fakePairFor(3);
        }, recordOf);
      })
      .catch((e: unknown) => e);
    await sleep(300);
    await holder.query('COMMIT');
    await holder.end();
    const err = await writing;
    expect((err as Error).message).toMatch(/hh\.ru issued a new token pair, but storing it/);
    expect(spent).toEqual([fakePairFor(2).refresh_token]);
    // The next run on this host: the only live pair is 3.
    const read = await (await open()).read(user('adopt'));
    expect(JSON.parse(read!.text).refresh_token).toBe(fakePairFor(3).refresh_token);
    expect(await refreshTokenIn('adopt')).toBe(fakePairFor(3).refresh_token);
  });

  it('store copy from a token file into PostgreSQL whose COMMIT fails: the pair is still in one of the two stores', async () => {
    const dir = tempDir();
    const config = loadConfig({}, {}, { ...env, HH_TOKEN_FILE: join(dir, 'token.json') });
    const from = fileStore(config);
    await from.write(user('copied'), 10, (w) => w.spend(async () => fakePairFor(20), recordOf));
    const to = await open();
    // A COMMIT that fails (a deferred constraint: the server refusing at COMMIT, as a lost
    // connection or a restart at that moment would).
    await pgc.psql(`
CREATE FUNCTION hh_oauth.refuse_commit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused at commit'; END $$;
CREATE CONSTRAINT TRIGGER refuse_commit AFTER INSERT OR UPDATE ON hh_oauth.tokens DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.profile = 'copied') EXECUTE FUNCTION hh_oauth.refuse_commit();`);
    try {
      const outcome = await copySlot(from, to, user('copied'), 10);
      expect(outcome.error?.message).toMatch(/refused at commit/);
    } finally {
      await pgc.psql('DROP TRIGGER refuse_commit ON hh_oauth.tokens; DROP FUNCTION hh_oauth.refuse_commit()');
    }
    const inDb = (await pgc.psql("SELECT coalesce(refresh_token, '') FROM hh_oauth.tokens WHERE profile = 'copied'")) || '';
    const inFile = readFileSync(config.forProfile('copied').tokenFile(), 'utf8');
    expect(inDb === fakePairFor(20).refresh_token || inFile.includes(fakePairFor(20).refresh_token)).toBe(true);
    // Nothing refreshes from a source that still holds the live pair only if it is unmarked.
    expect(inFile).not.toMatch(/moved_to/);
  });

  it('a stale kept pair from a row that was revoked and made again is not put over the new row when its version comes round again', async () => {
    // Host B: another machine, with a state directory (and so a kept-pair directory) of its own.
    const otherDir = tempDir();
    const hostB: NodeJS.ProcessEnv = { ...env, HH_TOKEN_FILE: join(otherDir, 'token.json') };
    const openB = async () => {
      const store = (await openPostgresStore(loadConfig({}, {}, hostB), hostB.HH_TOKEN_STORE!)) as PostgresStore;
      stores.push(store);
      return store;
    };
    const b = await openB();
    await b.write(user('reborn'), 10, (w) => w.spend(async () => fakePairFor(40), recordOf));
    const before = await versionOf('reborn');
    await b.write(user('reborn'), 10, (w) => w.spend(async () => fakePairFor(41), recordOf));
    // Host A wrote pair 41 (kept file named after the version it replaced), its COMMIT went
    // through, and it was killed before removing the file: a stale kept pair on host A.
    const dirA = keptDir(loadConfig({}, {}, env), b.target.name);
    mkdirSync(dirA, { recursive: true });
    writeFileSync(join(dirA, `user-reborn.v${before}.json`), JSON.stringify(recordOf(fakePairFor(41))), { mode: 0o600 });
    // On host B meanwhile: revoke (the row goes) and a new login (a new row, pair 42).
    expect(await (await openB()).discard(user('reborn'), 10, fakePairFor(41).refresh_token, {})).toEqual({ action: 'removed' });
    await (await openB()).write(user('reborn'), 10, (w) => w.spend(async () => fakePairFor(42), recordOf));
    // Host A's next run: pair 42 is the live one and stays.
    const read = await (await open()).read(user('reborn'));
    expect(JSON.parse(read!.text).refresh_token).toBe(fakePairFor(42).refresh_token);
    expect(await refreshTokenIn('reborn')).toBe(fakePairFor(42).refresh_token);
  });

  it.skipIf(skipUnless(canUseLocalUsers, 'needs root and useradd/setpriv for a second local account'))(
    'a kept pair planted by another local user (the state directory shared, sticky, as /tmp is) is never adopted into the row',
    async () => {
      const shared = tempDir();
      chmodSync(shared, 0o1777);
      const other = localUser(OTHER_USER);
      const victim: NodeJS.ProcessEnv = { ...env, HH_TOKEN_FILE: join(shared, 'token.json') };
      await seed('planted', 70);
      const version = await versionOf('planted');
      const store = await openPostgresStore(loadConfig({}, {}, victim), victim.HH_TOKEN_STORE!);
      stores.push(store as PostgresStore);
      const dir = keptDir(loadConfig({}, {}, victim), (store as PostgresStore).target.name);
      // The other user, first: postgres-kept/<database>/ and a "kept pair" of her own in it.
      const planted = join(dir, `user-planted.v${version}.json`);
      const made = runAs(other, ['sh', '-c', 'umask 077 && mkdir -p "$1" && printf %s "$2" > "$3"', 'sh', dir, JSON.stringify(recordOf(fakePairFor(71))), planted]);
      expect(made.status, made.stderr).toBe(0);
      const err = await store.read(user('planted')).then(
        (r) => r,
        (e: unknown) => e,
      );
      expect(await refreshTokenIn('planted')).toBe(fakePairFor(70).refresh_token);
      // Refused as the token file's store refuses such a directory: exit 7, nothing adopted.
      expect(err).toMatchObject({ code: 'store', message: expect.stringMatching(/belongs to .*others can write/) });
    },
  );

  it('a pair kept on this host is not deleted when `store copy` on another host moved its row meanwhile (the row moved past its version without a newer pair)', async () => {
    const otherDir = tempDir();
    const hostB: NodeJS.ProcessEnv = { ...env, HH_TOKEN_FILE: join(otherDir, 'token.json') };
    const b = (await openPostgresStore(loadConfig({}, {}, hostB), hostB.HH_TOKEN_STORE!)) as PostgresStore;
    stores.push(b);
    await b.write(user('moved'), 10, (w) => w.spend(async () => fakePairFor(80), recordOf));
    const version = await versionOf('moved');
    // Host A's COMMIT of pair 81 failed: the pair is on A's disk, the row still holds spent pair 80.
    const dirA = keptDir(loadConfig({}, {}, env), b.target.name);
    mkdirSync(dirA, { recursive: true });
    const kept = join(dirA, `user-moved.v${version}.json`);
    writeFileSync(kept, JSON.stringify(recordOf(fakePairFor(81))), { mode: 0o600 });
    // Host B moves the row to a token file (it copies pair 80, all it can see).
    await b.write(user('moved'), 10, (w) => w.put({ moved_to: '/srv/hh/token.json', moved_at: new Date().toISOString() }));
    // Host A's next run: the live pair 81 must still be somewhere.
    await (await open()).read(user('moved')).catch(() => undefined);
    expect(existsSync(kept)).toBe(true);
    expect(readFileSync(kept, 'utf8')).toContain(fakePairFor(81).refresh_token);
  });

  it('a pair kept under another spelling of the same database (localhost, then 127.0.0.1) is named on every run and by doctor, not passed over in silence', async () => {
    const store = await open();
    const spelledOtherwise = keptDir(loadConfig({}, {}, env), store.target.name.replace('127.0.0.1', 'localhost'));
    mkdirSync(spelledOtherwise, { recursive: true });
    writeFileSync(join(spelledOtherwise, 'user-spelled.v1.json'), JSON.stringify(recordOf(fakePairFor(90))), { mode: 0o600 });
    const warned: string[] = [];
    const spy = vi.spyOn(log, 'warn').mockImplementation((m: string) => void warned.push(m));
    try {
      await (await open()).read(user('spelled'));
    } finally {
      spy.mockRestore();
    }
    expect(warned.join('\n')).toContain(spelledOtherwise);
    const checks = await (await open()).checks();
    expect(checks[0]).toMatchObject({ status: 'fail' });
    expect(JSON.stringify(checks)).toContain(spelledOtherwise);
    rmSync(spelledOtherwise, { recursive: true });
  });

  // The start-of-run sweep of another process on this host takes the row once the writer's
  // session is gone. It used to find the writer's reserved (still blank) kept temp file and
  // remove it as an incomplete write; the writer then wrote hh.ru's answer into the unlinked
  // file and its rename failed: the only live pair was lost. Claimed files are now unique to
  // their writer and left while incomplete (kept-local.ts, keptTempPath).
  it('the write lost its session during the grant (server restart, idle timeout) and another run on this host starts: the reserved kept file is not taken from the writer', async () => {
    await seed('lost', 30);
    const writer = await open();
    const dir = keptDir(loadConfig({}, {}, env), writer.target.name);
    const err = await writer
      .write(user('lost'), 10, async (w) => {
        await w.reread();
        return w.spend(async () => {
          // The session (and the row lock) goes while hh.ru works on the grant...
          await terminateWriters();
          // ...and a bot on this host runs `hh-oauth token` meanwhile: its store sweeps the kept files.
          await (await open()).read(user('lost'));
          return fakePairFor(31);
        }, recordOf);
      })
      .catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/hh\.ru issued a new token pair/);
    // Pair 31 is the only live one: it must be on local disk (kept) or in the row.
    const kept = readdirSync(dir).map((f) => readFileSync(join(dir, f), 'utf8'));
    const inRow = await refreshTokenIn('lost');
    expect(inRow === fakePairFor(31).refresh_token || kept.some((t) => t.includes(fakePairFor(31).refresh_token))).toBe(true);
    const read = await (await open()).read(user('lost'));
    expect(JSON.parse(read!.text).refresh_token).toBe(fakePairFor(31).refresh_token);
    expect(existsSync(dir)).toBe(true);
  });
  // Review (8dd8376): a run that adopts a kept pair and then loses its session during the
  // grant names its claimed file after the row's committed version v. Another run on this
  // host then adopts the same kept pair (the row moves to v+1 without spending its refresh
  // token) and removes version v's files, the writer's blank claimed file among them; the
  // writer's grant, spending the adopted pair's refresh token, is still answered.
  it('a write spending an adopted kept pair loses its session during the grant and another run on this host adopts the same pair: the writer\'s new pair is not lost', async () => {
    await seed('adoptlost', 40);
    const version = await versionOf('adoptlost');
    const writer = await open();
    const dir = keptDir(loadConfig({}, {}, env), writer.target.name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `user-adoptlost.v${version}.json`), JSON.stringify(recordOf(fakePairFor(41))), { mode: 0o600 });
    const holder = rawClient();
    await holder.connect();
    await holder.query('BEGIN');
    await holder.query("SELECT 1 FROM hh_oauth.tokens WHERE profile = 'adoptlost' FOR UPDATE");
    const writing = writer
      .write(user('adoptlost'), 10, async (w) => {
        expect(JSON.parse((await w.reread())!.text).refresh_token).toBe(fakePairFor(41).refresh_token);
        return w.spend(async () => {
          await terminateWriters();
          // `hh-oauth token` on this host meanwhile: its sweep adopts pair 41 (nobody holds the row now).
          await (await open()).read(user('adoptlost'));
          // hh.ru spends pair 41's refresh token and answers pair 42.
          return fakePairFor(42);
        }, recordOf);
      })
      .catch((e: unknown) => e);
    await sleep(300);
    await holder.query('COMMIT');
    await holder.end();
    const err = await writing;
    expect((err as Error).message).toMatch(/hh\.ru issued a new token pair/);
    const read = await (await open()).read(user('adoptlost'));
    expect(JSON.parse(read!.text).refresh_token).toBe(fakePairFor(42).refresh_token);
  });
  // Review (8dd8376): a claimed file still blank (a run killed during its grant or its
  // rehearsal, before hh.ru answered) stays until the row moves past its version, which
  // can take the token's whole lifetime. It holds no pair: doctor must not count it as one.
  it('a blank claimed file left by a killed run is not reported by doctor as a token pair that never reached the database', async () => {
    await seed('blank', 50);
    const store = await open();
    const dir = keptDir(loadConfig({}, {}, env), store.target.name);
    const before = JSON.stringify(await store.checks());
    writeFileSync(join(dir, `.user-blank.v${await versionOf('blank')}.json.0123456789abcdef.tmp`), ' '.repeat(4096), { mode: 0o600 });
    expect(JSON.stringify(await (await open()).checks())).toBe(before);
  });
  // NOT FIXED (review of 8dd8376, reported): the app slot's grant spends no refresh token
  // (client_credentials), and a new application token revokes the previous one. A writer that
  // lost its session during its grant is not excluded by the row moving past its version: a
  // run on this host that took the row meanwhile stores its own token and removes version v's
  // claimed files, the live writer's among them; the writer's token, issued last (so the only
  // one hh.ru still accepts), then goes into an unlinked file. it.fails: passes once fixed.
  it.fails('the app slot: a writer that lost its session during its grant keeps the token hh.ru issued last, though another run stored one meanwhile', async () => {
    const app: Slot = { profile: '', kind: 'app' };
    const appRecord = (a: Record<string, unknown>) => ({ ...a, obtained_at: new Date().toISOString() });
    await (await open()).write(app, 10, (w) => w.spend(async () => ({ access_token: 'APP-0-xxxxxxxxxxxxxxxx', token_type: 'bearer' }), appRecord));
    const writer = await open();
    const dir = keptDir(loadConfig({}, {}, env), writer.target.name);
    await writer
      .write(app, 10, (w) =>
        w.spend(async () => {
          await terminateWriters();
          // Another run on this host takes the row and is issued APP-1 (stored).
          await (await open()).write(app, 10, (w2) => w2.spend(async () => ({ access_token: 'APP-1-xxxxxxxxxxxxxxxx', token_type: 'bearer' }), appRecord));
          // Then hh.ru answers the first writer: APP-2 revokes APP-1.
          return { access_token: 'APP-2-xxxxxxxxxxxxxxxx', token_type: 'bearer' };
        }, appRecord),
      )
      .catch((e: unknown) => e);
    const kept = readdirSync(dir).map((f) => readFileSync(join(dir, f), 'utf8'));
    const inRow = JSON.parse((await (await open()).read(app))!.text).access_token as string;
    expect(inRow === 'APP-2-xxxxxxxxxxxxxxxx' || kept.some((t) => t.includes('APP-2-xxxxxxxxxxxxxxxx'))).toBe(true);
  });
});




describe('local kept pairs: one profile never touches another profile’s files', () => {
  const tempDir = useTempDirs('hh-pg-kept-names-');
  it("removing profile shop's kept files at a version leaves a kept temp file of profile shop.v1.json.eu (a name the profile rule allows)", async () => {
    const dir = tempDir();
    const other = `.user-shop.v1.json.eu.v7.json.0123456789abcdef.tmp`;
    writeFileSync(join(dir, other), JSON.stringify(recordOf(fakePairFor(60))), { mode: 0o600 });
    writeFileSync(join(dir, 'user-shop.v1.json'), JSON.stringify(recordOf(fakePairFor(61))), { mode: 0o600 });
    writeFileSync(join(dir, '.user-shop.v1.json.fedcba9876543210.tmp'), '', { mode: 0o600 });
    await dropKept(dir, user('shop'), 1);
    expect(readdirSync(dir)).toEqual([other]);
    expect(keptVersions(dir, user('shop.v1.json.eu'))).toEqual([7]);
  });

  it('a kept pair stored without being spent (v → v+1): its claimed files, and a newer pair a writer already put at its name, go to v+1; only the stored pair is removed', async () => {
    const dir = tempDir();
    const claim = '.user-carry.v4.json.0123456789abcdef.tmp';
    writeFileSync(join(dir, claim), ' '.repeat(4096), { mode: 0o600 });
    writeFileSync(join(dir, 'user-carry.v4.json'), JSON.stringify(recordOf(fakePairFor(71))), { mode: 0o600 });
    // The stored pair was 70: the file at v4's name is a writer's answer to spending it.
    await moveOnFromAdopted(dir, user('carry'), 4, fakePairFor(70).refresh_token);
    expect(keptVersions(dir, user('carry'))).toEqual([5]);
    expect(existsSync(join(dir, claim.replace('.v4.', '.v5.')))).toBe(true);
    expect(readdirSync(dir).map((f) => readFileSync(join(dir, f), 'utf8')).some((t) => t.includes(fakePairFor(71).refresh_token))).toBe(true);
    // The stored pair itself goes.
    writeFileSync(join(dir, 'user-carry.v5.json'), JSON.stringify(recordOf(fakePairFor(72))), { mode: 0o600 });
    await moveOnFromAdopted(dir, user('carry'), 5, fakePairFor(72).refresh_token);
    expect(readdirSync(dir).map((f) => readFileSync(join(dir, f), 'utf8')).some((t) => t.includes(fakePairFor(72).refresh_token))).toBe(false);
  });
});
