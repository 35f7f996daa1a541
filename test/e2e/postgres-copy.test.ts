import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonOut, readJson, runSecret, startPostgres, storeGrant, trackSecrets, useHarness, type PostgresCluster, type RunResult, skipWithoutPostgres } from '../helpers';

/**
 * `store copy` between the two kinds of store, through the built CLI: the token file (with a
 * profile and the app token) into a real PostgreSQL server, and back out into a new
 * directory. Nothing is spent at the sandbox, each source is marked moved (no token left
 * in it), and the commands pointed at a source name the store the tokens went to. The
 * harness's leak scan covers every line printed, the database password included.
 */
const h = useHarness();

describe.skipIf(skipWithoutPostgres())('store copy between the token file and PostgreSQL', () => {
  let db: PostgresCluster;
  const passwordFile = () => join(h.dir, 'db-password');
  const dbEnv = () => ({ HH_TOKEN_STORE_PASSWORD_FILE: passwordFile() });
  const inDb = () => ({ ...dbEnv(), HH_TOKEN_STORE: db.dsn });
  const slotsOf = (out: RunResult) => Object.fromEntries((jsonOut(out).slots as Array<{ profile: string | null; action: string }>).map((s) => [s.profile ?? 'app', s.action]));
  const row = (profile: string) => db.psql(`SELECT coalesce(access_token, '') || '|' || coalesce(refresh_token, '') || '|' || coalesce(moved_to, '') FROM hh_oauth.tokens WHERE profile = '${profile}'`);

  beforeAll(async () => {
    db = await startPostgres();
    trackSecrets(() => [db.password]);
    writeFileSync(passwordFile(), `${db.password}\n`, { mode: 0o600 });
    const init = await h.run(['store', 'init'], { env: inDb() });
    expect(init.code, init.stderr).toBe(0);
  }, 120_000);
  afterAll(async () => db?.stop());

  it('file → PostgreSQL → a new directory: every slot moved, nothing spent, each source marked and refused', async () => {
    const main = await storeGrant(h, h.tokenFile);
    const acme = await storeGrant(h, h.profileFile('acme'));
    expect((await h.run(['app-token'])).code).toBe(0);
    const app = readJson(join(h.dir, 'state', 'app-token.json'));
    const issued = h.sandbox.issued().length;

    // Into the database: the DSN on the command line has no password (it comes from the file).
    const into = await h.run(['store', 'copy', '--from', h.tokenFile, '--to', db.dsn, '--json'], { env: dbEnv() });
    expect(into.code, into.stderr).toBe(0);
    expect(slotsOf(into)).toEqual({ default: 'copied', acme: 'copied', app: 'copied' });
    expect(h.sandbox.issued().length, 'nothing spent, nothing issued').toBe(issued);
    expect(await row('default')).toBe(`${main.access_token}|${main.refresh_token}|`);
    expect(await row('acme')).toBe(`${acme.access_token}|${acme.refresh_token}|`);
    expect(await db.psql('SELECT access_token FROM hh_oauth.app_token')).toBe(app.access_token);
    for (const path of [h.tokenFile, h.profileFile('acme'), join(h.dir, 'state', 'app-token.json')]) {
      const mark = readFileSync(path, 'utf8');
      expect(mark, 'no token left in the source').not.toMatch(/access_token|refresh_token/);
      expect(mark).toContain(`127.0.0.1:${db.port}`);
    }
    // The file is refused, naming the database; the database answers.
    const onFile = await h.run(['token']);
    expect(onFile.code).toBe(3);
    expect(onFile.stderr).toContain(`127.0.0.1:${db.port}`);
    expect(onFile.stderr).not.toContain(db.password);
    const fromDb = await runSecret(h, ['--profile', 'acme', 'token'], inDb());
    expect(fromDb.code, fromDb.stderr).toBe(0);
    expect(fromDb.stdout.trim()).toBe(acme.access_token);

    // And back out, into a directory that does not exist yet.
    const out = join(h.dir, 'back') + '/';
    const back = await h.run(['store', 'copy', '--from', db.dsn, '--to', out, '--json'], { env: dbEnv() });
    expect(back.code, back.stderr).toBe(0);
    expect(slotsOf(back)).toEqual({ default: 'copied', acme: 'copied', app: 'copied' });
    expect(h.sandbox.issued().length, 'nothing spent on the way back either').toBe(issued);
    expect(readJson(join(out, 'token.json'))).toMatchObject({ access_token: main.access_token, refresh_token: main.refresh_token });
    expect(readJson(join(out, 'profiles', 'acme.json'))).toMatchObject({ refresh_token: acme.refresh_token });
    expect(existsSync(join(out, 'app-token.json'))).toBe(true);
    // The rows keep no token, only where they went.
    expect(await row('default')).toBe(`||${join(out, 'token.json')}`);
    expect(await row('acme')).toMatch(/^\|\|.+/);
    const onDb = await h.run(['--profile', 'acme', 'refresh', '--force'], { env: inDb() });
    expect(onDb.code).toBe(3);
    expect(onDb.stderr).toContain(join(out, 'token.json'));
    expect(h.sandbox.issued().length, 'a moved row is never refreshed').toBe(issued);
    const onNew = await h.run(['--profile', 'acme', 'whoami'], { env: { HH_TOKEN_FILE: join(out, 'token.json') } });
    expect(onNew.code, onNew.stderr).toBe(0);
  }, 120_000);
});
