import { createHash } from 'node:crypto';
import { chmodSync, chownSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  BOT_USER, byName, canUseLocalUsers, homeFor, jsonOut, localGroup, localUser, nobodyCanRunCli, OTHER_USER, requires, runAs, runCli,
  SERVICE_USER, storeGrant, TOKEN_GROUP, useHarness, waitForExpiry, type LocalUser,
} from '../helpers';

/**
 * Root's commands in the service user's state directory, the way an operator runs them: in
 * a shell whose environment has no HH_TOKEN_GROUP (the unit sets it for the service only).
 * Root learns the owner and group from the state directory (install-units makes it the
 * service user's, in the token group, 0750) and from HH_TOKEN_GROUP in the system settings
 * file. Everything it creates there is then what the service would have made: the service
 * user's, the token group's, 0640 (directories 0750), at once, with no chown, and a bot in
 * the group reads it.
 */
const EXPIRES_IN = 1;
const h = useHarness({ expiresIn: EXPIRES_IN });

const usable = canUseLocalUsers && nobodyCanRunCli();
const NEEDS = 'root, useradd and setpriv (real local users), and a checkout other users can read';
let service: LocalUser;
let bot: LocalUser;
let other: LocalUser;
let tokenGid: number;
beforeAll(() => {
  if (!usable) return;
  tokenGid = localGroup(TOKEN_GROUP);
  service = localUser(SERVICE_USER, [TOKEN_GROUP]);
  bot = localUser(BOT_USER, [TOKEN_GROUP]);
  other = localUser(OTHER_USER);
});

const state = () => join(h.dir, 'state');
const ownerOf = (path: string) => {
  const st = statSync(path);
  return { uid: st.uid, gid: st.gid, mode: st.mode & 0o7777 };
};

/** The state directory as install-units leaves it: the service user's; with a token group, in that group and 0750. */
function serviceState(mode: number, gid: () => number): string {
  chmodSync(h.dir, 0o755);
  mkdirSync(state(), { recursive: true });
  chownSync(state(), service.uid, gid());
  chmodSync(state(), mode);
  return state();
}

/** The system settings file (HH_SYSTEM_ENV_FILE points the harness at this path): root's, 0600. */
function systemSettings(lines: string[]): void {
  const path = join(h.dir, 'system.env');
  writeFileSync(path, `${lines.join('\n')}\n`, { mode: 0o600 });
}

/** The service as the unit starts it: its user, Group= the token group, HH_TOKEN_GROUP set. */
const asService = (extra: Record<string, string> = {}) => ({ env: h.env({ ...homeFor(service, h.dir), HH_TOKEN_GROUP: TOKEN_GROUP, ...extra }), wrap: service.wrap({ gid: tokenGid }) });

/** Whether the bot, in the token group, can read the file (output discarded: it is a token). */
const botReads = (path: string) => runAs(bot, ['sh', '-c', 'cat "$0" >/dev/null', path], { groups: [tokenGid] }).status === 0;

/** Root's exchange, with no HH_TOKEN_GROUP in its environment. */
async function exchangeAsRoot(args: string[] = []): Promise<void> {
  const callback = await h.authorize(args);
  const out = await h.run([...args, 'exchange', '-', '--json'], { input: callback, env: { HH_TOKEN_GROUP: undefined } });
  expect(out.code, out.stderr).toBe(0);
}

describe('root writes for the service, with no HH_TOKEN_GROUP in its own environment', () => {
  it('first login before the service ever ran, the group from the system settings file: in the group, 0640 at once', async (ctx) => {
    requires(ctx, NEEDS, usable);
    // No state directory yet: root makes it, in the group the settings file names, 0750.
    chmodSync(h.dir, 0o755);
    systemSettings([`HH_TOKEN_GROUP=${TOKEN_GROUP}`]);
    await exchangeAsRoot();
    expect(ownerOf(state())).toEqual({ uid: 0, gid: tokenGid, mode: 0o750 });
    expect(ownerOf(h.tokenFile)).toEqual({ uid: 0, gid: tokenGid, mode: 0o640 });
    expect(botReads(h.tokenFile), `${BOT_USER} reads it`).toBe(true);
    // The service's first start: systemd gives StateDirectory= to User:Group (chown -R, modes kept); it refreshes.
    for (const path of [state(), h.tokenFile]) chownSync(path, service.uid, tokenGid);
    await waitForExpiry(EXPIRES_IN);
    const out = await runCli(['refresh', '--json'], asService());
    expect(out.code, out.stderr).toBe(0);
    expect(ownerOf(h.tokenFile)).toEqual({ uid: service.uid, gid: tokenGid, mode: 0o640 });
    expect(botReads(h.tokenFile)).toBe(true);
  });

  it('the group from the system settings file, in a state directory of the service user\'s own group', async (ctx) => {
    requires(ctx, NEEDS, usable);
    serviceState(0o755, () => service.gid);
    systemSettings([`HH_TOKEN_GROUP=${TOKEN_GROUP}`]);
    await exchangeAsRoot();
    expect(ownerOf(h.tokenFile)).toEqual({ uid: service.uid, gid: tokenGid, mode: 0o640 });
    expect(botReads(h.tokenFile)).toBe(true);
  });

  it('first login, the group from the state directory alone (install-units\' 0750 in the token group)', async (ctx) => {
    requires(ctx, NEEDS, usable);
    serviceState(0o750, () => tokenGid);
    await exchangeAsRoot();
    expect(ownerOf(h.tokenFile)).toEqual({ uid: service.uid, gid: tokenGid, mode: 0o640 });
    expect(readdirSync(state())).toEqual(['token.json']);
    expect(botReads(h.tokenFile)).toBe(true);
    // And the service refreshes it with no chown; the bot still reads the new file.
    await waitForExpiry(EXPIRES_IN);
    const out = await runCli(['refresh', '--json'], asService());
    expect(out.code, out.stderr).toBe(0);
    expect(jsonOut(out).status).toBe('refreshed');
    expect(ownerOf(h.tokenFile)).toEqual({ uid: service.uid, gid: tokenGid, mode: 0o640 });
  });

  it('a state directory the group may not enter (0700): the file stays 0600, as the unit would make it', async (ctx) => {
    requires(ctx, NEEDS, usable);
    serviceState(0o700, () => service.gid);
    await exchangeAsRoot();
    expect(ownerOf(h.tokenFile)).toEqual({ uid: service.uid, gid: service.gid, mode: 0o600 });
  });

  it('--profile acme exchange: profiles/ 0750 and acme.json 0640 in the group; the bot reads it, the service refreshes it', async (ctx) => {
    requires(ctx, NEEDS, usable);
    serviceState(0o750, () => tokenGid);
    await exchangeAsRoot(['--profile', 'acme']);
    const profiles = join(state(), 'profiles');
    expect(ownerOf(profiles)).toEqual({ uid: service.uid, gid: tokenGid, mode: 0o750 });
    expect(ownerOf(join(profiles, 'acme.json'))).toEqual({ uid: service.uid, gid: tokenGid, mode: 0o640 });
    expect(botReads(join(profiles, 'acme.json'))).toBe(true);
    await waitForExpiry(EXPIRES_IN);
    const one = await runCli(['--profile', 'acme', 'refresh', '--json'], asService());
    expect(one.code, one.stderr).toBe(0);
    const all = await runCli(['refresh', '--all', '--force', '--json'], asService());
    expect(all.code, all.stderr).toBe(0);
    expect(jsonOut(all)).toMatchObject({ failed: 0 });
  });

  it('re-authorization after a revoke: the new file is the service\'s, and its next run succeeds', async (ctx) => {
    requires(ctx, NEEDS, usable);
    serviceState(0o750, () => tokenGid);
    await storeGrant(h, h.tokenFile);
    chownSync(h.tokenFile, service.uid, tokenGid);
    chmodSync(h.tokenFile, 0o640);
    const revoked = await h.run(['revoke', '--yes', '--json'], { env: { HH_TOKEN_GROUP: undefined } });
    expect(revoked.code, revoked.stderr).toBe(0);
    await exchangeAsRoot();
    expect(ownerOf(h.tokenFile)).toEqual({ uid: service.uid, gid: tokenGid, mode: 0o640 });
    const out = await runCli(['refresh', '--force', '--json'], asService());
    expect(out.code, out.stderr).toBe(0);
    expect(botReads(h.tokenFile)).toBe(true);
  });

  it('the application token file: the service\'s and the group\'s', async (ctx) => {
    requires(ctx, NEEDS, usable);
    serviceState(0o750, () => tokenGid);
    const out = await h.run(['app-token', '--json'], { env: { HH_TOKEN_GROUP: undefined } });
    expect(out.code, out.stderr).toBe(0);
    expect(ownerOf(join(state(), 'app-token.json'))).toEqual({ uid: service.uid, gid: tokenGid, mode: 0o640 });
    const read = await runCli(['token', '--app'], { ...asService(), secretStdout: true });
    expect(read.code, read.stderr).toBe(0);
  });
});

describe('a kept pair that is root\'s (left by an earlier version, or by root without CAP_CHOWN)', () => {
  it('root puts it in place as the service user\'s, 0640 in the group, and the service refreshes it', async (ctx) => {
    requires(ctx, NEEDS, usable);
    serviceState(0o750, () => tokenGid);
    await storeGrant(h, h.tokenFile);
    chownSync(h.tokenFile, service.uid, tokenGid);
    chmodSync(h.tokenFile, 0o640);
    // The name ties the kept pair to the content it replaces (token/kept-pair.ts).
    const kept = join(state(), `.token.json.${createHash('sha256').update(readFileSync(h.tokenFile)).digest('hex').slice(0, 16)}.tmp`);
    await storeGrant(h, kept);
    chownSync(kept, 0, 0);
    chmodSync(kept, 0o600);
    const out = await h.run(['refresh', '--force', '--json'], { env: { HH_TOKEN_GROUP: undefined } });
    expect(out.code, out.stderr).toBe(0);
    expect(out.stderr).toMatch(/recovered the token pair/);
    expect(ownerOf(h.tokenFile)).toEqual({ uid: service.uid, gid: tokenGid, mode: 0o640 });
    expect(botReads(h.tokenFile)).toBe(true);
    await waitForExpiry(EXPIRES_IN);
    const refreshed = await runCli(['refresh', '--json'], asService());
    expect(refreshed.code, refreshed.stderr).toBe(0);
  });
});

describe('what the group can reach, as doctor and status say it', () => {
  /** A stored pair of the service user's, in the group, 0640, in a state directory of the given mode. */
  async function groupStore(dirMode: number): Promise<void> {
    serviceState(dirMode, () => tokenGid);
    await storeGrant(h, h.tokenFile);
    chownSync(h.tokenFile, service.uid, tokenGid);
    chmodSync(h.tokenFile, 0o640);
  }
  const doctorPerms = async (env: Record<string, string | undefined> = {}) => {
    const out = await h.run(['doctor', '--skip-systemd', '--skip-nginx', '--no-refresh', '--json'], { env });
    return { out, check: byName(jsonOut(out).checks as Array<{ name: string; status: string; message: string; fix: string | null }>)['token-permissions']! };
  };

  it('doctor as root: a 0700 state directory blocks the token group, and it says which directory and the fix', async (ctx) => {
    requires(ctx, NEEDS, usable);
    await groupStore(0o700);
    expect(botReads(h.tokenFile), 'the bot really cannot read it').toBe(false);
    const { out, check } = await doctorPerms({ HH_TOKEN_GROUP: TOKEN_GROUP });
    expect(out.code).toBe(7);
    expect(check.status).toBe('fail');
    expect(check.message).toContain(`members of ${TOKEN_GROUP} cannot reach ${h.tokenFile}: ${state()} is 0700`);
    expect(check.fix).toContain(`chmod 0750 ${state()}`);
    // Fixed as it says: the bot reads it, and doctor passes, naming the group.
    chmodSync(state(), 0o750);
    expect(botReads(h.tokenFile)).toBe(true);
    const fixed = await doctorPerms({ HH_TOKEN_GROUP: TOKEN_GROUP });
    expect(fixed.check.status, fixed.check.message).toBe('pass');
    expect(fixed.check.message).toContain(`members of ${TOKEN_GROUP} can read it`);
  });

  it('doctor as root, the group from the system settings file: a directory above that others may not enter blocks it too', async (ctx) => {
    requires(ctx, NEEDS, usable);
    await groupStore(0o750);
    systemSettings([`HH_TOKEN_GROUP=${TOKEN_GROUP}`]);
    chmodSync(h.dir, 0o750);
    expect(botReads(h.tokenFile)).toBe(false);
    const { check } = await doctorPerms();
    expect(check.status).toBe('fail');
    expect(check.message).toContain(`${h.dir} is 0750`);
    expect(check.fix).toContain(`chmod o+x ${h.dir}`);
  });

  it('status as a user who may not read the file says unreadable, with the fix, not corrupt (also --json)', async (ctx) => {
    requires(ctx, NEEDS, usable);
    await groupStore(0o755);
    const asOther = { env: h.env({ ...homeFor(other, h.dir) }), wrap: other.wrap() };
    const out = await runCli(['status', '--json'], asOther);
    expect(out.code).toBe(7);
    const doc = jsonOut(out);
    expect(doc.state).toBe('unreadable');
    expect(doc.problem).toMatch(/cannot read .*EACCES/);
    expect(out.stderr).toMatch(new RegExp(`sudo -u ${SERVICE_USER}|usermod -aG ${TOKEN_GROUP}`));
    const human = await runCli(['status'], asOther);
    expect(human.stdout).toMatch(/state:\s+unreadable/);
    expect(human.stdout).not.toMatch(/corrupt/);
    // A directory it may not enter: the same answer.
    chmodSync(state(), 0o750);
    const blocked = jsonOut(await runCli(['status', '--json'], asOther));
    expect(blocked.state).toBe('unreadable');
    // The bot, in the group, reads it.
    const asBot = { env: h.env({ ...homeFor(bot, h.dir) }), wrap: bot.wrap({ groups: [tokenGid] }) };
    expect(jsonOut(await runCli(['status', '--json'], asBot)).state).toBe('valid');
  });
});
