import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { jsonOut, lateTokenEndpoint, quickLogin, runSecret, sleep, startCli, startPostgres, trackSecrets, useHarness, type PostgresCluster, skipWithoutPostgres } from '../helpers';

/**
 * Every kind of command through the built CLI with HH_TOKEN_STORE naming a real PostgreSQL
 * server (a throwaway cluster; password over TCP with scram): the lifecycle, the bot's
 * SELECT, NOTIFY on rotation, the hook, exit 6 with the server down (nothing spent), exit 7
 * for a damaged row (left as it is), the pair kept on local disk when the COMMIT fails after
 * hh.ru answered, and the row lock of a killed or frozen refresher. The leak scan covers the
 * database password too.
 */
const h = useHarness({ expiresIn: 2 });

describe.skipIf(skipWithoutPostgres())('the PostgreSQL store through the CLI', () => {
  let db: PostgresCluster;
  const rowOf = async (profile = 'default') => db.psql(`SELECT access_token || '|' || refresh_token || '|' || version FROM hh_oauth.tokens WHERE profile = '${profile}'`);
  const env = (extra: Record<string, string | undefined> = {}) => {
    const passwordFile = join(h.dir, 'db-password');
    if (!existsSync(passwordFile)) writeFileSync(passwordFile, `${db.password}\n`, { mode: 0o600 });
    return { HH_TOKEN_STORE: db.dsn, HH_TOKEN_STORE_PASSWORD_FILE: passwordFile, ...extra };
  };
  const run = (args: string[], extra: Record<string, string | undefined> = {}, input?: string) => h.run(args, { env: env(extra), input });
  const keptFiles = () => {
    const base = join(h.dir, 'state', 'postgres-kept');
    return existsSync(base) ? readdirSync(base).flatMap((d) => readdirSync(join(base, d))) : [];
  };
  const listener = async () => {
    const client = new pg.Client({ host: '127.0.0.1', port: db.port, user: 'hh_test', database: 'hh_test', password: db.password });
    await client.connect();
    client.on('error', () => undefined);
    const heard: string[] = [];
    client.on('notification', (n) => heard.push(`${n.channel}:${n.payload}`));
    await client.query('LISTEN hh_oauth_token_rotated');
    return { heard, end: () => client.end() };
  };

  beforeAll(async () => {
    db = await startPostgres();
    trackSecrets(() => [db.password]);
    // The schema: `hh-oauth store init`, versioned and idempotent.
    const first = await run(['store', 'init']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout + first.stderr).toMatch(/schema version 1 \(applied: 1\)/);
    const again = await run(['store', 'init']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout + again.stderr).toMatch(/up to date: schema version 1/);
    expect(await db.psql('SELECT count(*) FROM hh_oauth.schema_version')).toBe('1');
  }, 120_000);
  afterAll(async () => db?.stop());
  beforeEach(async () => {
    await db.psql('TRUNCATE hh_oauth.tokens, hh_oauth.app_token, hh_oauth.set_aside');
  });

  it('exchange → token → whoami → refresh (due) → status → profiles → app-token → revoke → doctor, all in the database', async () => {
    await quickLogin(h, env());
    expect(existsSync(h.tokenFile)).toBe(false); // nothing in the token file
    const [access, refresh, firstVersion] = (await rowOf()).split('|');
    // The bot's documented SELECT reads what `hh-oauth token` prints.
    const token = await runSecret(h, ['token'], env());
    expect(token.code, token.stderr).toBe(0);
    expect(token.stdout.trim()).toBe(access);
    expect(await db.psql("SELECT access_token FROM hh_oauth.tokens WHERE profile = 'default'")).toBe(access);
    expect((await run(['whoami'])).code).toBe(0);

    await sleep(2100);
    const grants = h.sandbox.stats().grants.refresh_token;
    const due = await run(['refresh', '--json']);
    expect(due.code, due.stderr).toBe(0);
    expect(jsonOut(due).status).toBe('refreshed');
    expect(h.sandbox.stats().grants.refresh_token).toBe(grants + 1);
    const [access2, refresh2, version] = (await rowOf()).split('|');
    expect(access2).not.toBe(access);
    expect(refresh2).not.toBe(refresh);
    expect(Number(version)).toBe(Number(firstVersion) + 1);
    expect(keptFiles()).toEqual([]);

    const status = await run(['status', '--json']);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain(`127.0.0.1:${db.port}`);
    expect(status.stdout).not.toContain(db.password);
    const profiles = await run(['profiles', '--json']);
    expect(profiles.code, profiles.stderr).toBe(0);
    expect(profiles.stdout).toContain('default');

    const app = await run(['app-token']);
    expect(app.code, app.stderr).toBe(0);
    const appToken = await runSecret(h, ['token', '--app'], env());
    expect(appToken.code, appToken.stderr).toBe(0);
    expect(await db.psql('SELECT access_token FROM hh_oauth.app_token')).toBe(appToken.stdout.trim());

    const revoke = await run(['revoke', '--yes', '--json']);
    expect(revoke.code, revoke.stderr).toBe(0);
    expect(await db.psql("SELECT count(*) FROM hh_oauth.tokens WHERE profile = 'default' AND record IS NOT NULL")).toBe('0');

    await quickLogin(h, env());
    const doctor = await run(['doctor', '--json']);
    const checks = jsonOut(doctor).checks as { name: string; status: string; message?: string }[];
    // Timers, nginx and the callback are not installed here; the store's checks pass.
    const byCheck = Object.fromEntries(checks.map((c) => [c.name, c]));
    expect(byCheck['token-file']).toMatchObject({ status: 'pass', message: expect.stringContaining(`127.0.0.1:${db.port}/hh_test#default`) });
    expect(byCheck['token-accepted']?.status).toBe('pass');
    expect(byCheck['token-store']).toMatchObject({ status: 'pass', message: expect.stringMatching(/reachable, schema version 1, no TLS \(loopback\)/) });
    expect(byCheck['token-permissions']).toBeUndefined();
    expect(doctor.stdout).not.toContain(db.password);
  }, 60_000);

  it('a rotation is announced on hh_oauth_token_rotated (payload: the profile, no token), and --on-refresh still runs', async () => {
    await quickLogin(h, env(), ['--profile', 'shop']);
    const l = await listener();
    await sleep(2100);
    const marker = join(h.dir, 'hooked');
    const out = await run(['refresh', '--profile', 'shop', '--json'], { HH_ON_REFRESH: `/usr/bin/touch ${marker}` });
    expect(out.code, out.stderr).toBe(0);
    for (let i = 0; i < 50 && l.heard.length === 0; i++) await sleep(20);
    await l.end();
    expect(l.heard).toEqual(['hh_oauth_token_rotated:shop']);
    expect(existsSync(marker)).toBe(true);
  }, 30_000);

  it('the server stopped: refresh exits 6 and spends nothing; started again, the next run refreshes', async () => {
    await quickLogin(h, env());
    await sleep(2100);
    const before = await rowOf();
    const grants = h.sandbox.stats().grants.refresh_token;
    await db.halt();
    try {
      const out = await run(['refresh', '--json']);
      expect(out.code, out.stderr).toBe(6);
      expect(out.stderr).toMatch(/unreachable or restarting/);
      expect(out.stderr).not.toContain(db.password);
      const token = await runSecret(h, ['token'], env());
      expect(token.code).toBe(6);
      expect(h.sandbox.stats().grants.refresh_token).toBe(grants);
    } finally {
      await db.start();
    }
    expect(await rowOf()).toBe(before);
    expect((await run(['refresh', '--json'])).code).toBe(0);
    expect(h.sandbox.stats().grants.refresh_token).toBe(grants + 1);
  }, 60_000);

  it('a damaged row: every command exits 7 and leaves it exactly as it is', async () => {
    await quickLogin(h, env());
    await db.psql("UPDATE hh_oauth.tokens SET record = record - 'refresh_token' WHERE profile = 'default'");
    const before = await db.psql("SELECT record::text || version || updated_at FROM hh_oauth.tokens WHERE profile = 'default'");
    await sleep(2100);
    const grants = h.sandbox.stats().grants.refresh_token;
    for (const args of [['refresh'], ['token'], ['whoami']]) {
      const out = args[0] === 'token' ? await runSecret(h, args, env()) : await run(args);
      expect(out.code, `${args}: ${out.stderr}`).toBe(7);
      expect(out.stderr).toMatch(/#default is corrupt: refresh_token is missing/);
    }
    expect(h.sandbox.stats().grants.refresh_token).toBe(grants);
    expect(await db.psql("SELECT record::text || version || updated_at FROM hh_oauth.tokens WHERE profile = 'default'")).toBe(before);
  }, 30_000);

  it('the COMMIT fails after hh.ru answered: exit 6, the pair on local disk; the next run puts it in place and it is the live one', async () => {
    await quickLogin(h, env());
    await sleep(2100);
    const before = await rowOf();
    const late = await lateTokenEndpoint(h.sandbox.env.HH_TOKEN_URL, 500);
    try {
      const refreshing = run(['refresh', '--json'], { HH_TOKEN_URL: late.url, HH_DEBUG: '1' });
      await late.spent;
      // hh.ru has spent the old refresh token; the database session goes before the answer arrives.
      await db.psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'hh-oauth'");
      const out = await refreshing;
      expect(out.code, out.stderr).toBe(6);
      expect(out.stderr).toMatch(new RegExp(`hh\\.ru issued a new token pair, but storing it in .* failed .*kept on this host in .*user-default\\.v${before.split('|')[2]}\\.json`));
      const window = /on local disk ([\d.]+) ms after it arrived/.exec(out.stderr);
      expect(window).not.toBeNull();
      console.log(`answer → local kept pair (COMMIT then failed): ${window![1]} ms`);
    } finally {
      await late.close();
    }
    expect(await rowOf()).toBe(before);
    expect(keptFiles()).toEqual([`user-default.v${before.split('|')[2]}.json`]);
    // The next run on this host: the kept pair goes in first; the token it holds is the live one.
    const next = await runSecret(h, ['token'], env());
    expect(next.code, next.stderr).toBe(0);
    expect(next.stderr).toMatch(/recovered the token pair/);
    expect(keptFiles()).toEqual([]);
    const [access, , version] = (await rowOf()).split('|');
    expect(Number(version)).toBe(Number(before.split('|')[2]) + 1);
    expect(next.stdout.trim()).toBe(access);
    await sleep(2100);
    const again = await run(['refresh', '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(jsonOut(again).status).toBe('refreshed');
  }, 60_000);

  it('the window hh.ru answer → local write, over 12 due refreshes (HH_DEBUG measures it)', async () => {
    await quickLogin(h, env({}), ['--profile', 'timed']);
    const windows: number[] = [];
    for (let i = 0; i < 12; i++) {
      await sleep(2100); // the sandbox's tokens live 2 s; it answers "not expired" before
      const out = await run(['refresh', '--profile', 'timed', '--json'], { HH_DEBUG: '1' });
      expect(out.code, out.stderr).toBe(0);
      const found = /on local disk ([\d.]+) ms after it arrived/.exec(out.stderr);
      expect(found, `${out.stdout}\n${out.stderr}`).not.toBeNull();
      windows.push(Number(found![1]));
    }
    windows.sort((a, b) => a - b);
    console.log(`answer → local kept pair over ${windows.length} refreshes: median ${windows[6]!.toFixed(2)} ms, max ${windows.at(-1)!.toFixed(2)} ms`);
    expect(windows[6]).toBeLessThan(50);
  }, 90_000);

  it('a refresher killed (SIGKILL) while it holds the row leaves no lock: the next goes on at once', async () => {
    await quickLogin(h, env());
    await sleep(2100);
    const hold = await holdingTokenEndpoint();
    try {
      const first = startCli(['refresh'], h.env(env({ HH_TOKEN_URL: hold.url })));
      await hold.arrived;
      expect(await db.psql("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'hh-oauth' AND state = 'idle in transaction'")).toBe('1');
      first.child.kill('SIGKILL');
      await first.done;
      const t0 = Date.now();
      const second = await run(['refresh', '--json']);
      const waited = Date.now() - t0;
      expect(second.code, second.stderr).toBe(0);
      expect(jsonOut(second).status).toBe('refreshed');
      console.log(`after SIGKILL of the holder: the next refresh done in ${waited} ms`);
      expect(waited).toBeLessThan(5000);
    } finally {
      await hold.close();
    }
  }, 60_000);

  it('a refresher frozen (SIGSTOP) while it holds the row: the others go on within idle_in_transaction_session_timeout (15 s); one grant', async () => {
    await quickLogin(h, env());
    await sleep(2100);
    const grants = h.sandbox.stats().grants.refresh_token;
    const hold = await holdingTokenEndpoint();
    try {
      const frozen = startCli(['refresh'], h.env(env({ HH_TOKEN_URL: hold.url })), 60_000);
      await hold.arrived;
      process.kill(frozen.child.pid!, 'SIGSTOP');
      const t0 = Date.now();
      const other = await run(['refresh', '--json'], { HH_LOCK_TIMEOUT: '40' });
      const waited = Date.now() - t0;
      expect(other.code, other.stderr).toBe(0);
      expect(jsonOut(other).status).toBe('refreshed');
      console.log(`a frozen holder: the other refresh went on after ${(waited / 1000).toFixed(1)} s`);
      expect(waited).toBeGreaterThan(10_000);
      expect(waited).toBeLessThan(25_000);
      expect(h.sandbox.stats().grants.refresh_token).toBe(grants + 1);
      process.kill(frozen.child.pid!, 'SIGCONT');
      hold.fail();
      const { code } = await frozen.done;
      expect(code).not.toBe(0);
    } finally {
      await hold.close();
    }
    // The pair the other stored is the live one.
    await sleep(2100);
    expect((await run(['refresh', '--json'])).code).toBe(0);
  }, 90_000);
});

/** A token endpoint that takes the request and answers nothing (hh.ru never sees it) until fail() answers 503. */
async function holdingTokenEndpoint() {
  let arrivedNow!: () => void;
  const arrived = new Promise<void>((r) => (arrivedNow = r));
  const waiting: ServerResponse[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    waiting.push(res);
    arrivedNow();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const fail = () => {
    for (const res of waiting.splice(0)) res.writeHead(503, { 'content-type': 'text/plain' }).end('held');
  };
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`,
    arrived,
    fail,
    close: () =>
      new Promise<void>((r) => {
        fail();
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
