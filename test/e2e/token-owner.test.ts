import { createHash } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  BOT_USER, canUseLocalUsers, homeFor, jsonOut, localGroup, localUser, nobodyCanRunCli, OTHER_USER, PRELOAD, requires, runAs, runCli,
  SERVICE_USER, sleep, storeGrant, TOKEN_GROUP, tokenPosts, useHarness, waitForExpiry, type LocalUser, type RunResult,
} from '../helpers';

/**
 * Who a new token pair belongs to, played with real local users: root (this process), the
 * service user that owns the state directory, another local user who would like the
 * token, and a bot in the token group. A new pair belongs to the user who runs hh-oauth,
 * or, when root writes into a directory owned by the service user, to that user; its
 * group and mode come from HH_TOKEN_GROUP or that directory, never from a file someone
 * else owned there before. A token directory that others can write is refused.
 */
const EXPIRES_IN = 1;
const h = useHarness({ expiresIn: EXPIRES_IN });
/** Compared by hash: a failed comparison must not print a token. */
const digest = (content: Buffer | string) => createHash('sha256').update(content).digest('hex');

const usable = canUseLocalUsers && nobodyCanRunCli();
const NEEDS = 'root, useradd and setpriv (real local users), and a checkout other users can read';
let service: LocalUser;
let other: LocalUser;
let bot: LocalUser;
let tokenGid: number;
beforeAll(() => {
  if (!usable) return;
  tokenGid = localGroup(TOKEN_GROUP);
  service = localUser(SERVICE_USER, [TOKEN_GROUP]);
  other = localUser(OTHER_USER);
  bot = localUser(BOT_USER, [TOKEN_GROUP]);
});

const state = () => join(h.dir, 'state');
const ownerOf = (path: string) => {
  const st = statSync(path);
  return { uid: st.uid, gid: st.gid, mode: st.mode & 0o7777 };
};

/** The state directory as `install-units` leaves it: the service user's, 0700 (0750 and the token group with a token group). */
function serviceState(withGroup = false): string {
  chmodSync(h.dir, 0o755);
  mkdirSync(state(), { recursive: true });
  chownSync(state(), service.uid, withGroup ? tokenGid : service.gid);
  chmodSync(state(), withGroup ? 0o750 : 0o700);
  return state();
}

/** The service's environment: its own HOME, and the token group as the unit sets it (Group= and HH_TOKEN_GROUP). */
const asService = (extra: Record<string, string> = {}) => ({ env: h.env({ ...homeFor(service, h.dir), HH_TOKEN_GROUP: TOKEN_GROUP, ...extra }), wrap: service.wrap({ gid: tokenGid }) });

/** Whether the user can read the file (cat as that user, output discarded: it is a token). */
const canRead = (user: LocalUser, path: string, groups: number[] = []) => runAs(user, ['sh', '-c', 'cat "$0" >/dev/null', path], { groups }).status === 0;

async function exchangeAsRoot(env: Record<string, string> = {}, args: string[] = []): Promise<{ out: RunResult; callback: string }> {
  const callback = await h.authorize(args);
  const out = await h.run([...args, 'exchange', '-', '--json'], { input: callback, env });
  return { out, callback };
}

describe('a new pair belongs to the store, never to a file someone else owned there before', () => {
  it('root logs in again over a token file that another user owned: the new pair is the service user\'s, 0600, in the directory\'s group', async (ctx) => {
    requires(ctx, NEEDS, usable);
    serviceState();
    await storeGrant(h, h.tokenFile);
    chownSync(h.tokenFile, other.uid, other.gid);
    chmodSync(h.tokenFile, 0o644);

    const { out } = await exchangeAsRoot();
    expect(out.code, out.stderr).toBe(0);
    expect(ownerOf(h.tokenFile)).toEqual({ uid: service.uid, gid: service.gid, mode: 0o600 });
    expect(canRead(other, h.tokenFile), `${OTHER_USER} must not read the new pair`).toBe(false);
    // The service refreshes it with no chown.
    await waitForExpiry(EXPIRES_IN);
    const refreshed = await runCli(['refresh', '--json'], asService());
    expect(refreshed.code, refreshed.stderr).toBe(0);
    expect(jsonOut(refreshed).status).toBe('refreshed');
  });

  it('with HH_TOKEN_GROUP: the service user\'s and the token group\'s, 0640, and the bot reads it', async (ctx) => {
    requires(ctx, NEEDS, usable);
    serviceState(true);
    await storeGrant(h, h.tokenFile);
    chownSync(h.tokenFile, other.uid, other.gid);
    chmodSync(h.tokenFile, 0o640);

    const { out } = await exchangeAsRoot({ HH_TOKEN_GROUP: TOKEN_GROUP });
    expect(out.code, out.stderr).toBe(0);
    expect(ownerOf(h.tokenFile)).toEqual({ uid: service.uid, gid: tokenGid, mode: 0o640 });
    expect(canRead(bot, h.tokenFile, [tokenGid]), `${BOT_USER} in ${TOKEN_GROUP} reads it`).toBe(true);
    expect(canRead(other, h.tokenFile)).toBe(false);
  });
});

describe('everything root creates in the service user\'s directory belongs to the service user', () => {
  it('the token file of a first login, and the lock root holds meanwhile', async (ctx) => {
    requires(ctx, NEEDS, usable);
    serviceState(true);
    const lock = `${h.tokenFile}.lock`;
    // hh.ru hangs on the first answer: root's exchange sits inside the lock while we look.
    h.sandbox.fault({ kind: 'hang', path: '/token', times: 1 });
    const callback = await h.authorize();
    const posts = tokenPosts(h);
    const held = h.run(['exchange', '-', '--json'], { input: callback, env: { HH_TOKEN_GROUP: TOKEN_GROUP, HH_HTTP_TIMEOUT: '3' } });
    for (let i = 0; i < 400 && tokenPosts(h) === posts; i++) await sleep(25);
    expect(existsSync(lock), 'root holds the lock').toBe(true);
    expect(ownerOf(lock)).toMatchObject({ uid: service.uid, gid: tokenGid, mode: 0o600 });
    expect((await held).code).toBe(6);
    // The code was not spent (hh.ru never answered): the same callback works now.
    const out = await h.run(['exchange', '-', '--json'], { input: callback, env: { HH_TOKEN_GROUP: TOKEN_GROUP } });
    expect(out.code, out.stderr).toBe(0);
    expect(ownerOf(h.tokenFile)).toEqual({ uid: service.uid, gid: tokenGid, mode: 0o640 });
    expect(readdirSync(state())).toEqual(['token.json']);
    expect(canRead(bot, h.tokenFile, [tokenGid])).toBe(true);
  });

  it('a lock left by a root run that was killed is recovered by the service (it can read it)', async (ctx) => {
    requires(ctx, NEEDS, usable);
    serviceState(true);
    await storeGrant(h, h.tokenFile);
    chownSync(h.tokenFile, service.uid, tokenGid);
    chmodSync(h.tokenFile, 0o640);
    const lock = `${h.tokenFile}.lock`;
    h.sandbox.fault({ kind: 'hang', path: '/token' });
    const posts = tokenPosts(h);
    const victim = h.run(['refresh', '--force'], { env: { HH_HTTP_TIMEOUT: '60', HH_TOKEN_GROUP: TOKEN_GROUP } });
    for (let i = 0; i < 400 && tokenPosts(h) === posts; i++) await sleep(25);
    const holder = JSON.parse(readFileSync(lock, 'utf8')) as { pid: number };
    process.kill(holder.pid, 'SIGKILL');
    expect((await victim).signal).toBe('SIGKILL');
    h.sandbox.fault(null);
    expect(ownerOf(lock).uid).toBe(service.uid);

    const out = await runCli(['refresh', '--force', '--json'], asService({ HH_LOCK_TIMEOUT: '5' }));
    expect(out.code, out.stderr).toBe(0);
    expect(out.stderr).toMatch(/recovered a stale lock/);
    expect(existsSync(lock)).toBe(false);
  });

  it('a pair root kept when killed before its rename: the service user\'s, and the service puts it in place', async (ctx) => {
    requires(ctx, NEEDS, usable);
    serviceState(true);
    await storeGrant(h, h.tokenFile);
    chownSync(h.tokenFile, service.uid, tokenGid);
    chmodSync(h.tokenFile, 0o640);
    await waitForExpiry(EXPIRES_IN);
    const grants = h.sandbox.stats().refreshed;
    const killed = await h.run(['refresh'], { env: { NODE_OPTIONS: `--require ${PRELOAD.killAtRename}`, HH_TOKEN_GROUP: TOKEN_GROUP } });
    expect(killed.signal).toBe('SIGKILL');
    const kept = readdirSync(state()).filter((name) => /^\.token\.json\.[0-9a-f]{16}\.tmp$/.test(name));
    expect(kept).toHaveLength(1);
    expect(ownerOf(join(state(), kept[0]!))).toEqual({ uid: service.uid, gid: tokenGid, mode: 0o640 });

    const out = await runCli(['refresh', '--json'], asService());
    expect(out.code, out.stderr).toBe(0);
    expect(out.stderr).toMatch(/recovered the token pair/);
    expect(h.sandbox.stats().refreshed - grants).toBe(1);
    expect(ownerOf(h.tokenFile)).toEqual({ uid: service.uid, gid: tokenGid, mode: 0o640 });
  });

  it('profiles/ and a profile root adds; the bot reads it, and the service refreshes every profile', async (ctx) => {
    requires(ctx, NEEDS, usable);
    serviceState(true);
    const { out } = await exchangeAsRoot({ HH_TOKEN_GROUP: TOKEN_GROUP }, ['--profile', 'acme']);
    expect(out.code, out.stderr).toBe(0);
    const profiles = join(state(), 'profiles');
    expect(ownerOf(profiles)).toEqual({ uid: service.uid, gid: tokenGid, mode: 0o750 });
    expect(ownerOf(join(profiles, 'acme.json'))).toEqual({ uid: service.uid, gid: tokenGid, mode: 0o640 });
    expect(canRead(bot, join(profiles, 'acme.json'), [tokenGid])).toBe(true);
    await waitForExpiry(EXPIRES_IN);
    const all = await runCli(['refresh', '--all', '--json'], asService());
    expect(all.code, all.stderr).toBe(0);
    expect(jsonOut(all)).toMatchObject({ refreshed: 1, failed: 0 });
  });

  it('without a token group, profiles/ and its file are the service user\'s, 0700 and 0600', async (ctx) => {
    requires(ctx, NEEDS, usable);
    serviceState();
    const { out } = await exchangeAsRoot({}, ['--profile', 'acme']);
    expect(out.code, out.stderr).toBe(0);
    expect(ownerOf(join(state(), 'profiles'))).toEqual({ uid: service.uid, gid: service.gid, mode: 0o700 });
    expect(ownerOf(join(state(), 'profiles', 'acme.json'))).toEqual({ uid: service.uid, gid: service.gid, mode: 0o600 });
  });

  it('the application token file', async (ctx) => {
    requires(ctx, NEEDS, usable);
    serviceState();
    const out = await h.run(['app-token', '--json']);
    expect(out.code, out.stderr).toBe(0);
    const appFile = join(state(), 'app-token.json');
    expect(ownerOf(appFile)).toEqual({ uid: service.uid, gid: service.gid, mode: 0o600 });
    const read = await runCli(['token', '--app'], { ...asService(), secretStdout: true });
    expect(read.code, read.stderr).toBe(0);
  });
});

describe('a token directory that others can write is refused (exit 7, naming it and the fix)', () => {
  const DIR_HINT = /chmod go-w|a directory of its own/;

  /** The directory, with a token.json that the other user created in it (as she would, with her own umask). */
  function planted(mode: number): string {
    chmodSync(h.dir, 0o755);
    mkdirSync(state(), { recursive: true });
    chmodSync(state(), mode);
    const made = runAs(other, ['sh', '-c', 'umask 022; printf "{}" > "$0"', h.tokenFile]);
    expect(made.status, made.stderr).toBe(0);
    return readFileSync(h.tokenFile, 'utf8');
  }

  it.for<[string, number, RegExp]>([
    ['world-writable (0777)', 0o777, /can be written by others \(mode 0777/],
    ['sticky like /tmp (1777), the file another user\'s', 0o1777, new RegExp(`token\\.json belongs to ${OTHER_USER}`)],
  ])('%s: root\'s exchange is refused before the code is spent, and the other user gets nothing', async ([, mode, message], ctx) => {
    requires(ctx, NEEDS, usable);
    const before = planted(mode);
    const exchanged = h.sandbox.stats().exchanged;
    const { out, callback } = await exchangeAsRoot();
    expect(out.code, out.stderr).toBe(7);
    const { error } = jsonOut(out);
    expect(error.message).toContain(state());
    expect(error.message).toMatch(message);
    expect(error.message).toMatch(/nothing was sent to hh\.ru/);
    expect(error.suggestion).toMatch(DIR_HINT);
    expect(h.sandbox.stats().exchanged).toBe(exchanged);
    expect(digest(readFileSync(h.tokenFile)), 'her file is unchanged').toBe(digest(before));
    expect(ownerOf(h.tokenFile).uid).toBe(other.uid);
    // Fixed as the hint says: the same callback still works.
    chmodSync(state(), 0o700);
    unlinkSync(h.tokenFile);
    const again = await h.run(['exchange', '-', '--json'], { input: callback });
    expect(again.code, again.stderr).toBe(0);
  });

  it('group-writable (0770): refresh, token and status refuse root\'s own file too', async (ctx) => {
    requires(ctx, NEEDS, usable);
    await storeGrant(h, h.tokenFile);
    chmodSync(state(), 0o770);
    const bytes = readFileSync(h.tokenFile);
    for (const args of [['refresh', '--json'], ['token', '--json'], ['whoami', '--json']]) {
      const out = await runCli(args, { env: h.env(), secretStdout: true });
      expect(out.code, `${args[0]}: ${out.stderr}`).toBe(7);
      expect(out.stdout.includes('access_token'), 'a token printed').toBe(false);
      expect(jsonOut(out).error.message).toMatch(/can be written by others \(mode 0770/);
    }
    const status = await h.run(['status', '--json']);
    expect(status.code).toBe(7);
    expect(digest(readFileSync(h.tokenFile)), 'the token file is unchanged').toBe(digest(bytes));
  });

  it('sticky (1777) with a file of our own: accepted', async (ctx) => {
    requires(ctx, NEEDS, usable);
    chmodSync(h.dir, 0o755);
    mkdirSync(state(), { recursive: true });
    chmodSync(state(), 0o1777);
    await storeGrant(h, h.tokenFile);
    chownSync(h.tokenFile, service.uid, service.gid);
    await waitForExpiry(EXPIRES_IN);
    const out = await runCli(['refresh', '--json'], { env: h.env({ ...homeFor(service, h.dir) }), wrap: service.wrap() });
    expect(out.code, out.stderr).toBe(0);
    expect(jsonOut(out).status).toBe('refreshed');
    expect(ownerOf(h.tokenFile)).toMatchObject({ uid: service.uid, mode: 0o600 });
  });

  it('a directory of another user inside one that others can write (a /tmp/x she made): root refuses to write for her', async (ctx) => {
    requires(ctx, NEEDS, usable);
    chmodSync(h.dir, 0o755);
    const shared = join(h.dir, 'shared');
    mkdirSync(shared, { mode: 0o1777 });
    chmodSync(shared, 0o1777);
    const hers = join(shared, 'x');
    expect(runAs(other, ['mkdir', '-m', '0755', hers]).status).toBe(0);
    const { out } = await exchangeAsRoot({ HH_TOKEN_FILE: join(hers, 'token.json') });
    expect(out.code, out.stderr).toBe(7);
    expect(jsonOut(out).error.message).toContain(shared);
    expect(existsSync(join(hers, 'token.json'))).toBe(false);
  });
});
