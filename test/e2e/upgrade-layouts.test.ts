import { chmodSync, chownSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  BOT_USER, canUseLocalUsers, deadProcess, homeFor, jsonOut, localGroup, localUser, nobodyCanRunCli, requires, runAs, runCli, SERVICE_USER, storeGrant,
  TOKEN_GROUP, useHarness, waitForExpiry, type LocalUser, type RunResult,
} from '../helpers';

/**
 * An installation made by earlier versions keeps working: the owners and modes they
 * created are accepted, as root and as the service user, and a write keeps them. The
 * refusals of a shared server (token-owner, kept-pair-trust, unbounded-reads) hit only
 * what those versions never created.
 *
 * Earlier versions left: the state directory from the unit (StateDirectory=, 0700, or
 * 0750 and the token group with --token-group), token.json 0600 (0640 in the token group)
 * owned by the service user; a root-owned file in a root-owned 0700 directory (root's
 * own); profiles/ 0700 made by whoever added the first profile; app-token.json 0600;
 * temp files named `.token.json.<pid>.<hex>.tmp`; locks without a PID namespace or boot id.
 */
const EXPIRES_IN = 1;
const h = useHarness({ expiresIn: EXPIRES_IN });

const usable = canUseLocalUsers && nobodyCanRunCli();
const NEEDS = 'root, useradd and setpriv (real local users), and a checkout other users can read';
let service: LocalUser;
let bot: LocalUser;
let tokenGid: number;
beforeAll(() => {
  if (!usable) return;
  tokenGid = localGroup(TOKEN_GROUP);
  service = localUser(SERVICE_USER, [TOKEN_GROUP]);
  bot = localUser(BOT_USER, [TOKEN_GROUP]);
});

const state = () => join(h.dir, 'state');
const ownerOf = (path: string) => {
  const st = statSync(path);
  return { uid: st.uid, gid: st.gid, mode: st.mode & 0o7777 };
};
const canRead = (user: LocalUser, path: string, groups: number[] = []) => runAs(user, ['sh', '-c', 'cat "$0" >/dev/null', path], { groups }).status === 0;

/** The layout the unit made: the directory and token.json the service user's (in the token group, 0750/0640, with one). */
async function unitLayout(withGroup: boolean): Promise<void> {
  chmodSync(h.dir, 0o755);
  await storeGrant(h, h.tokenFile);
  const gid = withGroup ? tokenGid : service.gid;
  chownSync(state(), service.uid, gid);
  chmodSync(state(), withGroup ? 0o750 : 0o700);
  chownSync(h.tokenFile, service.uid, gid);
  chmodSync(h.tokenFile, withGroup ? 0o640 : 0o600);
}

const asService = (withGroup: boolean, args: string[], extra: Record<string, string> = {}): Promise<RunResult> =>
  runCli(args, {
    env: h.env({ ...homeFor(service, h.dir), ...(withGroup ? { HH_TOKEN_GROUP: TOKEN_GROUP } : {}), ...extra }),
    wrap: service.wrap(withGroup ? { gid: tokenGid } : {}),
    secretStdout: args[0] === 'token',
  });
const asRoot = (args: string[], extra: Record<string, string> = {}): Promise<RunResult> => runCli(args, { env: h.env(extra), secretStdout: args[0] === 'token' });

function ok(out: RunResult, what: string): void {
  expect(out.code, `${what}: ${out.stderr}`).toBe(0);
}

describe.each([
  ['0700, token.json 0600, the service user\'s', false],
  ['0750 in the token group, token.json 0640', true],
])('the unit\'s state directory (%s)', (_name, withGroup) => {
  it('the service refreshes, reads and reports it; root does too, and the file stays the service user\'s with its mode', async (ctx) => {
    requires(ctx, NEEDS, usable);
    await unitLayout(withGroup);
    const layout = ownerOf(h.tokenFile);
    await waitForExpiry(EXPIRES_IN);
    ok(await asService(withGroup, ['refresh', '--json']), 'service refresh');
    expect(ownerOf(h.tokenFile)).toEqual(layout);
    for (const args of [['status', '--json'], ['token'], ['whoami', '--json']]) ok(await asService(withGroup, args), `service ${args[0]}`);

    await waitForExpiry(EXPIRES_IN);
    // Root as operators run it today: without HH_TOKEN_GROUP in its environment.
    const refreshed = await asRoot(['refresh', '--json']);
    ok(refreshed, 'root refresh');
    expect(jsonOut(refreshed).status).toBe('refreshed');
    expect(ownerOf(h.tokenFile), 'the owner, group and mode the layout had').toEqual(layout);
    for (const args of [['status', '--json'], ['token'], ['whoami', '--json']]) ok(await asRoot(args), `root ${args[0]}`);
    if (withGroup) expect(canRead(bot, h.tokenFile, [tokenGid]), 'the bot still reads it').toBe(true);

    // And the service goes on after root, with no chown.
    await waitForExpiry(EXPIRES_IN);
    ok(await asService(withGroup, ['refresh', '--json']), 'service refresh after root');
    expect(ownerOf(h.tokenFile)).toEqual(layout);
    expect(readdirSync(state()).sort()).toEqual(['token.json']);
  });

  it('root logs in again (exchange): the new pair keeps the layout', async (ctx) => {
    requires(ctx, NEEDS, usable);
    await unitLayout(withGroup);
    const layout = ownerOf(h.tokenFile);
    const callback = await h.authorize();
    ok(await runCli(['exchange', '-', '--json'], { env: h.env(), input: callback }), 'root exchange');
    expect(ownerOf(h.tokenFile)).toEqual(layout);
    ok(await asService(withGroup, ['refresh', '--force', '--json']), 'service refresh --force');
  });

  it('profiles/ the service made (0700, or 0750 in the group) and its profile: root refreshes it, the service refreshes all', async (ctx) => {
    requires(ctx, NEEDS, usable);
    await unitLayout(withGroup);
    const profiles = join(state(), 'profiles');
    mkdirSync(profiles);
    chownSync(profiles, service.uid, withGroup ? tokenGid : service.gid);
    chmodSync(profiles, withGroup ? 0o750 : 0o700);
    const acme = join(profiles, 'acme.json');
    await storeGrant(h, acme);
    chownSync(acme, service.uid, withGroup ? tokenGid : service.gid);
    chmodSync(acme, withGroup ? 0o640 : 0o600);
    const layout = ownerOf(acme);
    await waitForExpiry(EXPIRES_IN);
    ok(await asRoot(['--profile', 'acme', 'refresh', '--json']), 'root refresh of a profile');
    expect(ownerOf(acme)).toEqual(layout);
    await waitForExpiry(EXPIRES_IN);
    const all = await asService(withGroup, ['refresh', '--all', '--json']);
    ok(all, 'service refresh --all');
    expect(jsonOut(all)).toMatchObject({ total: 2, failed: 0 });
  });

  it('the application token file (0600, the service user\'s): both read it', async (ctx) => {
    requires(ctx, NEEDS, usable);
    await unitLayout(withGroup);
    const app = join(state(), 'app-token.json');
    writeFileSync(app, JSON.stringify({ access_token: 'APPLICATIONTOKENOFOLD', token_type: 'bearer', obtained_at: new Date().toISOString() }), { mode: 0o600 });
    chownSync(app, service.uid, withGroup ? tokenGid : service.gid);
    ok(await asService(withGroup, ['token', '--app']), 'service token --app');
    ok(await asRoot(['token', '--app']), 'root token --app');
  });

  it('debris and a lock from earlier versions (no PID namespace, no boot id) of a dead process: recovered', async (ctx) => {
    requires(ctx, NEEDS, usable);
    await unitLayout(withGroup);
    const dead = await deadProcess();
    const lock = `${h.tokenFile}.lock`;
    writeFileSync(lock, JSON.stringify({ pid: dead.pid, start: dead.start, host: hostname() }), { mode: 0o600 });
    writeFileSync(join(state(), `.token.json.${dead.pid}.abcdef012345.tmp`), '{"half":', { mode: 0o600 });
    for (const path of [lock, join(state(), `.token.json.${dead.pid}.abcdef012345.tmp`)]) chownSync(path, service.uid, service.gid);
    const out = await asService(withGroup, ['refresh', '--force', '--json'], { HH_LOCK_TIMEOUT: '5' });
    ok(out, 'service refresh over an old lock');
    expect(out.stderr).toMatch(/recovered a stale lock/);
    expect(readdirSync(state()).sort()).toEqual(['token.json']);
  });
});

describe('root\'s own layout: a root-owned file in a root-owned 0700 directory', () => {
  it('refresh, exchange, status and token work, and the file stays root:root 0600', async (ctx) => {
    requires(ctx, NEEDS, usable);
    await storeGrant(h, h.tokenFile);
    expect(ownerOf(state())).toMatchObject({ uid: 0, mode: 0o700 });
    await waitForExpiry(EXPIRES_IN);
    ok(await asRoot(['refresh', '--json']), 'root refresh');
    expect(ownerOf(h.tokenFile)).toEqual({ uid: 0, gid: 0, mode: 0o600 });
    const callback = await h.authorize();
    ok(await runCli(['exchange', '-', '--json'], { env: h.env(), input: callback }), 'root exchange');
    expect(ownerOf(h.tokenFile)).toEqual({ uid: 0, gid: 0, mode: 0o600 });
    for (const args of [['status', '--json'], ['token']]) ok(await asRoot(args), `root ${args[0]}`);
  });

  it('profiles/ that root made (0700) inside the service user\'s directory: root goes on using it as before', async (ctx) => {
    requires(ctx, NEEDS, usable);
    await unitLayout(false);
    const profiles = join(state(), 'profiles');
    mkdirSync(profiles, { mode: 0o700 });
    const acme = join(profiles, 'acme.json');
    await storeGrant(h, acme);
    await waitForExpiry(EXPIRES_IN);
    ok(await asRoot(['--profile', 'acme', 'refresh', '--json']), 'root refresh of its profile');
    expect(ownerOf(acme)).toEqual({ uid: 0, gid: 0, mode: 0o600 });
    ok(await asRoot(['refresh', '--all', '--json']), 'root refresh --all');
  });
});
