import { createHash } from 'node:crypto';
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { recordFromGrant } from '../../src/token/record';
import {
  canUseLocalUsers, homeFor, jsonOut, localGroup, localUser, mintGrant, nobodyCanRunCli, OTHER_USER, requires, runAs, runCli, SERVICE_USER, storeGrant,
  TOKEN_GROUP, tokenPosts, useHarness, waitForExpiry, type LocalUser,
} from '../helpers';

/**
 * A kept pair (`.token.json.<hash of the content it replaces>.tmp`, token/kept-pair.ts) is
 * put in place by the next locked run without asking hh.ru. That makes it a way in: while
 * no token file exists its name is predictable (the hash of nothing), so another local
 * user who can write the directory could plant her own pair there, and root's `hh-oauth
 * token` would install and print it. A kept pair is adopted only if it is a regular file,
 * not a link, owned by a user who may write the store (this user, root, the directory's
 * owner) and writable by no one else. Anything else stops the run (exit 7) with nothing
 * sent, naming the file, its owner and the fix: a real kept pair has replaced the file's
 * refresh token at hh.ru, so "not adopted" must never mean "refresh past it".
 */
const EXPIRES_IN = 1;
const h = useHarness({ expiresIn: EXPIRES_IN });
/** Compared by hash: a failed comparison must not print a token. */
const digest = (content: Buffer | string) => createHash('sha256').update(content).digest('hex');
const tag = (content: Buffer | string) => createHash('sha256').update(content).digest('hex').slice(0, 16);
const keptName = (dir: string, content: Buffer | string = '') => join(dir, `.token.json.${tag(content)}.tmp`);

const usable = canUseLocalUsers && nobodyCanRunCli();
const NEEDS = 'root, useradd and setpriv (real local users), and a checkout other users can read';
let service: LocalUser;
let other: LocalUser;
beforeAll(() => {
  if (!usable) return;
  localGroup(TOKEN_GROUP);
  service = localUser(SERVICE_USER, [TOKEN_GROUP]);
  other = localUser(OTHER_USER);
});

const state = () => join(h.dir, 'state');
const REFUSED_HINT = /rm \S+\.token\.json\.[0-9a-f]{16}\.tmp/;

describe('a kept pair planted by another user while no token file exists (a shared, sticky directory like /tmp)', () => {
  /** Her own pair from hh.ru, written where the next run looks for a kept pair. */
  async function plantHerPair(): Promise<{ kept: string; accessToken: string }> {
    chmodSync(h.dir, 0o755);
    mkdirSync(state(), { recursive: true });
    chmodSync(state(), 0o1777);
    const record = recordFromGrant(await mintGrant(h), new Date());
    const kept = keptName(state());
    const made = runAs(other, ['sh', '-c', 'umask 022; cat > "$0"', kept]);
    expect(made.status, made.stderr).toBe(0);
    writeFileSync(kept, JSON.stringify(record));
    return { kept, accessToken: record.access_token as string };
  }

  it('root\'s `hh-oauth token` neither installs nor prints it: exit 7 naming the file, its owner and the fix', async (ctx) => {
    requires(ctx, NEEDS, usable);
    const { kept, accessToken } = await plantHerPair();
    const posts = tokenPosts(h);
    const out = await runCli(['token', '--json'], { env: h.env(), secretStdout: true });
    expect(out.stdout.includes(accessToken), 'her access token printed').toBe(false);
    expect(out.code, out.stderr).toBe(7);
    const { error } = jsonOut(out);
    expect(error.message).toContain(kept);
    expect(error.message).toContain(`belongs to ${OTHER_USER}`);
    expect(error.message).toMatch(/nothing was sent to hh\.ru/);
    expect(error.suggestion).toMatch(REFUSED_HINT);
    expect(existsSync(h.tokenFile), 'nothing was installed').toBe(false);
    expect(existsSync(kept)).toBe(true);
    expect(tokenPosts(h)).toBe(posts);
  });

  it('a non-root user meets the same refusal, with the fix (remove it), not a hint to move it into place', async (ctx) => {
    requires(ctx, NEEDS, usable);
    const { kept } = await plantHerPair();
    const out = await runCli(['token', '--json'], { env: h.env({ ...homeFor(service, h.dir) }), wrap: service.wrap(), secretStdout: true });
    expect(out.code, out.stderr).toBe(7);
    const { error } = jsonOut(out);
    expect(error.message).toContain(`belongs to ${OTHER_USER}`);
    expect(error.suggestion).toMatch(REFUSED_HINT);
    expect(error.suggestion).not.toMatch(/\bmv\b/);
    expect(existsSync(kept)).toBe(true);
  });
});

describe('a kept pair beside an expired token: refused unless the store wrote it, and nothing refreshed past it', () => {
  /** An expired pair in root's 0700 directory, and beside it a real, newer pair under the kept-pair name, made by make(). */
  async function expiredWithKept(make: (kept: string, pair: string) => void): Promise<{ kept: string; before: Buffer }> {
    await storeGrant(h, h.tokenFile);
    const before = readFileSync(h.tokenFile);
    await waitForExpiry(EXPIRES_IN);
    const kept = keptName(state(), before);
    make(kept, JSON.stringify(recordFromGrant(await mintGrant(h), new Date())));
    return { kept, before };
  }

  it.for<[string, (kept: string, pair: string) => void, RegExp]>([
    ['owned by another user', (kept: string, pair: string) => {
      writeFileSync(kept, pair, { mode: 0o600 });
      chownSync(kept, other.uid, other.gid);
    }, new RegExp(`belongs to ${OTHER_USER} \\(uid \\d+\\)`)],
    ['writable by group and others (0666)', (kept: string, pair: string) => {
      writeFileSync(kept, pair);
      chmodSync(kept, 0o666);
    }, /can be written by group or others \(mode 0666, owner root\)/],
    ['a symbolic link to a pair elsewhere', (kept: string, pair: string) => {
      writeFileSync(join(h.dir, 'elsewhere.json'), pair, { mode: 0o600 });
      symlinkSync(join(h.dir, 'elsewhere.json'), kept);
    }, /is a symbolic link/],
  ])('%s: exit 7, the token file untouched, no refresh sent', async ([, make, message], ctx) => {
    requires(ctx, NEEDS, usable);
    const { kept, before } = await expiredWithKept(make);
    const posts = tokenPosts(h);
    const out = await h.run(['refresh', '--json']);
    expect(out.code, out.stderr).toBe(7);
    const { error } = jsonOut(out);
    expect(error.message).toContain(kept);
    expect(error.message).toMatch(message);
    expect(error.message).toMatch(/nothing was sent to hh\.ru/);
    expect(error.suggestion).toMatch(REFUSED_HINT);
    expect(tokenPosts(h), 'no refresh past it').toBe(posts);
    expect(lstatSync(h.tokenFile).isFile()).toBe(true);
    expect(digest(readFileSync(h.tokenFile)), 'the token file is unchanged').toBe(digest(before));
  });

  it('owned by the directory\'s owner (the service user) while root runs: adopted', async (ctx) => {
    requires(ctx, NEEDS, usable);
    chmodSync(h.dir, 0o755);
    mkdirSync(state(), { recursive: true, mode: 0o700 });
    chownSync(state(), service.uid, service.gid);
    const { kept } = await expiredWithKept((path, pair) => {
      writeFileSync(path, pair, { mode: 0o600 });
      chownSync(path, service.uid, service.gid);
    });
    chownSync(h.tokenFile, service.uid, service.gid);
    const out = await h.run(['refresh', '--json']);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stderr).toMatch(/recovered the token pair/);
    expect(existsSync(kept)).toBe(false);
    expect(statSync(h.tokenFile).uid).toBe(service.uid);
  });

  it('owned by root while the service user runs (a root run killed before its rename): adopted when it can read it', async (ctx) => {
    requires(ctx, NEEDS, usable);
    chmodSync(h.dir, 0o755);
    mkdirSync(state(), { recursive: true, mode: 0o700 });
    chownSync(state(), service.uid, service.gid);
    const { kept } = await expiredWithKept((path, pair) => writeFileSync(path, pair, { mode: 0o644 }));
    chmodSync(kept, 0o644);
    chownSync(h.tokenFile, service.uid, service.gid);
    const out = await runCli(['token', '--json'], { env: h.env({ ...homeFor(service, h.dir) }), wrap: service.wrap(), secretStdout: true });
    expect(out.code, out.stderr).toBe(0);
    expect(out.stderr).toMatch(/recovered the token pair/);
    expect(existsSync(kept)).toBe(false);
  });
});
