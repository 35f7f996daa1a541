import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BROWSER_USER_AGENT, browserRedirect, freePort, httpRequest, type HttpAnswer, startCli, startPostgres, trackSecrets, useHarness, type PostgresCluster, skipWithoutPostgres } from '../helpers';

/**
 * `hh-oauth login` with HH_TOKEN_STORE naming a real PostgreSQL server: the preflight
 * rehearses the database's write before the link is printed, and the pair lands in the
 * row, not in a file. The "browser" talks to the listener directly (a loopback redirect
 * URI; the nginx path is login.test.ts's).
 */
const LISTEN_PORT = await freePort();
const REDIRECT = `http://127.0.0.1:${LISTEN_PORT}/callback`;
const h = useHarness({}, { redirectUri: REDIRECT });
const cookieOf = (answer: HttpAnswer) => ([] as string[]).concat(answer.headers['set-cookie'] ?? []).map((c) => c.split(';')[0]!).join('; ');
const get = (url: string, cookie = '') => httpRequest(url, { headers: { 'user-agent': BROWSER_USER_AGENT, ...(cookie ? { cookie } : {}) } });

describe.skipIf(skipWithoutPostgres())('login into the PostgreSQL store', () => {
  let db: PostgresCluster;
  // Each test has a workspace of its own (h.dir), so the password file is written into it.
  const env = () => {
    const passwordFile = join(h.dir, 'db-password');
    if (!existsSync(passwordFile)) writeFileSync(passwordFile, `${db.password}\n`, { mode: 0o600 });
    return { HH_TOKEN_STORE: db.dsn, HH_TOKEN_STORE_PASSWORD_FILE: passwordFile };
  };

  beforeAll(async () => {
    db = await startPostgres();
    trackSecrets(() => [db.password]);
  }, 120_000);
  afterAll(async () => db?.stop());

  it('before store init: exit 3 naming `hh-oauth store init`, before any link is printed', async () => {
    const login = startCli(['login', '--listen', `127.0.0.1:${LISTEN_PORT}`, '--timeout', '20s'], h.env(env()));
    const out = await login.done;
    expect(out.code, out.stderr).toBe(3);
    expect(out.stderr).toContain('run `hh-oauth store init` once');
    expect(out.stderr).not.toContain('hh_oauth_start=');
  });

  it('stores the pair in the row; no token file is written', async () => {
    const init = await h.run(['store', 'init'], { env: env() });
    expect(init.code, init.stderr).toBe(0);
    const before = h.sandbox.stats().exchanged;
    const login = startCli(['login', '--listen', `127.0.0.1:${LISTEN_PORT}`, '--timeout', '20s'], h.env(env()));
    const [, link] = await login.waitFor(/^\s*(http:\/\/\S+\?hh_oauth_start=[0-9a-f]{32})$/m);
    await login.waitFor(/waiting for hh\.ru/);
    const start = await get(link!);
    expect(start.status).toBe(303);
    const callback = await browserRedirect(start.headers.location as string);
    const answered = await get(callback, cookieOf(start));
    expect(answered.status).toBe(303);
    const out = await login.done;
    expect(out.code, out.stderr).toBe(0);
    expect(h.sandbox.stats().exchanged).toBe(before + 1);
    expect(existsSync(h.tokenFile)).toBe(false);
    expect(await db.psql("SELECT count(*) FROM hh_oauth.tokens WHERE profile = 'default' AND access_token IS NOT NULL AND refresh_token IS NOT NULL")).toBe('1');
    expect(out.stderr + out.stdout).toContain(`127.0.0.1:${db.port}`);
  });
});
