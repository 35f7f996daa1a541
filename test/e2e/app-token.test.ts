import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { canMountTmpfs, jsonOut, meAnswer, readJson, requires, runSecret, sleep, storeGrant, useHarness, writeTokenFile } from '../helpers';

// hh.ru allows one application token per 5 minutes; the sandbox here, one per 3 s.
const MIN_INTERVAL_S = 3;
const h = useHarness({ appTokenMinInterval: MIN_INTERVAL_S });
let lastGrantAt = 0;
const waitForInterval = () => sleep(Math.max(0, lastGrantAt + MIN_INTERVAL_S * 1000 + 200 - Date.now()));

/** A tmpfs with few inodes and chattr (+i: link(2) refuses an immutable file), for a root run; in CI they must be there. */
const canMountTmpfsWithChattr = canMountTmpfs({ chattr: true });

describe('hh-oauth app-token', () => {
  it('stores, refuses to replace without --rotate, explains "too early", and --rotate replaces (revoking the old one)', async () => {
    const tokenFile = h.tokenFile;
    const appFile = join(tokenFile, '..', 'app-token.json');
    const first = await h.run(['app-token', '--json']);
    lastGrantAt = Date.now();
    expect(first.code, first.stderr).toBe(0);
    expect(jsonOut(first)).toMatchObject({ status: 'stored', app_token_file: appFile, rotated: false });
    const stored = readJson(appFile);
    expect(Object.keys(stored).sort()).toEqual(['access_token', 'obtained_at', 'token_type']);
    expect(statSync(appFile).mode & 0o777).toBe(0o600);
    expect(existsSync(tokenFile)).toBe(false);
    const sent = h.sandbox.requests().filter((r) => r.path === '/token').at(-1)!;
    expect(new URLSearchParams(sent.body).get('grant_type')).toBe('client_credentials');

    const printed = await runSecret(h, ['token', '--app']);
    expect(printed.stdout).toBe(`${stored.access_token}\n`);
    expect(await meAnswer(h, stored.access_token)).toBe('application');

    const grants = h.sandbox.stats().grants.client_credentials;
    const again = await h.run(['app-token']);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('--rotate');
    expect(h.sandbox.stats().grants.client_credentials).toBe(grants);

    const early = await h.run(['app-token', '--rotate', '--json']);
    expect(early.code).toBe(5);
    const error = jsonOut(early).error;
    expect(error).toMatchObject({ code: 'rejected', hh_error: 'forbidden', hh_error_description: 'app token refresh too early' });
    expect(error.message).toMatch(/at most one per 5 minutes.*revokes the previous/);
    expect(error.suggestion).toMatch(/nothing was revoked/);
    expect(readJson(appFile)).toEqual(stored);

    await waitForInterval();
    const rotated = await h.run(['app-token', '--rotate', '--json']);
    lastGrantAt = Date.now();
    expect(rotated.code, rotated.stderr).toBe(0);
    expect(jsonOut(rotated)).toMatchObject({ status: 'stored', rotated: true });
    const next = readJson(appFile);
    expect(next.access_token).not.toBe(stored.access_token);
    expect(await meAnswer(h, stored.access_token)).toBe('token_revoked');
    expect(await meAnswer(h, next.access_token)).toBe('application');
  });

  it('HH_APP_TOKEN_FILE chooses the file; a damaged one is kept (exit 7), and --rotate moves it aside', async () => {
    const dir = h.dir;
    const appFile = join(dir, 'elsewhere', 'app.json');
    writeTokenFile(appFile, '{"token_type":"bearer"}');
    const grants = h.sandbox.stats().grants.client_credentials;
    const out = await h.run(['app-token'], { env: { HH_APP_TOKEN_FILE: appFile } });
    expect(out.code).toBe(7);
    expect(out.stderr).toContain(`${appFile} is corrupt: access_token is missing`);
    expect(readFileSync(appFile, 'utf8')).toBe('{"token_type":"bearer"}');
    expect(h.sandbox.stats().grants.client_credentials).toBe(grants);

    await waitForInterval();
    const rotated = await h.run(['app-token', '--rotate', '--json'], { env: { HH_APP_TOKEN_FILE: appFile } });
    lastGrantAt = Date.now();
    expect(rotated.code, rotated.stderr).toBe(0);
    expect(jsonOut(rotated)).toMatchObject({ app_token_file: appFile, rotated: true });
    expect(readJson(appFile).access_token).toEqual(expect.any(String));
    const aside = readdirSync(join(dir, 'elsewhere')).filter((n) => n.startsWith('app.json.corrupt-'));
    expect(aside).toHaveLength(1);
    expect(readFileSync(join(dir, 'elsewhere', aside[0]!), 'utf8')).toBe('{"token_type":"bearer"}');
  });

  it('--rotate over a damaged file that cannot be kept aside: exit 7 before hh.ru is asked (the old token is not revoked)', async (ctx) => {
    requires(ctx, 'root, mount(8) for a tmpfs, and chattr', canMountTmpfsWithChattr);
    const mnt = join(h.dir, 'mnt');
    mkdirSync(mnt);
    expect(spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m,nr_inodes=16,mode=0700', 'tmpfs', mnt]).status).toBe(0);
    const appFile = join(mnt, 'app.json');
    try {
      writeFileSync(appFile, '{"access', { mode: 0o600 });
      // Immutable, so link(2) fails and keeping it aside needs a copy: a new inode.
      expect(spawnSync('chattr', ['+i', appFile]).status).toBe(0);
      // Inodes for the lock and one more file: not for the lock, the new file and the copy.
      const fillers: string[] = [];
      for (let i = 0; ; i++) {
        const filler = join(mnt, `filler-${i}`);
        try {
          writeFileSync(filler, '');
        } catch {
          break;
        }
        fillers.push(filler);
      }
      for (const filler of fillers.splice(-2)) rmSync(filler);
      await waitForInterval();
      const grants = h.sandbox.stats().grants.client_credentials;

      const out = await h.run(['app-token', '--rotate', '--json'], { env: { HH_APP_TOKEN_FILE: appFile } });
      expect(out.code, out.stderr).toBe(7);
      expect(jsonOut(out).error).toMatchObject({ code: 'store', message: expect.stringMatching(/ENOSPC/) });
      expect(h.sandbox.stats().grants.client_credentials).toBe(grants);
      expect(readFileSync(appFile, 'utf8')).toBe('{"access');
      // Nothing left behind: no second name for the damaged file, no temp file.
      expect(readdirSync(mnt).filter((n) => !n.startsWith('filler-')).sort()).toEqual(['app.json']);

      // With room and a movable file, the same command succeeds and keeps the damaged one aside.
      spawnSync('chattr', ['-i', appFile]);
      for (const filler of fillers) rmSync(filler);
      const rotated = await h.run(['app-token', '--rotate', '--json'], { env: { HH_APP_TOKEN_FILE: appFile } });
      lastGrantAt = Date.now();
      expect(rotated.code, rotated.stderr).toBe(0);
      expect(rotated.stderr).toMatch(/moved the damaged token file to \S+app\.json\.corrupt-/);
      const aside = readdirSync(mnt).filter((n) => n.startsWith('app.json.corrupt-'));
      expect(aside).toHaveLength(1);
      expect(readFileSync(join(mnt, aside[0]!), 'utf8')).toBe('{"access');
    } finally {
      spawnSync('chattr', ['-i', appFile]);
      spawnSync('umount', ['-l', mnt]);
    }
  });

  it('with a profile: one application token for the application, beside the default token file, never a profile of its own (refresh --all is not broken by it)', async () => {
    await storeGrant(h, h.profileFile('acme'));
    await waitForInterval();
    const stored = await h.run(['--profile', 'acme', 'app-token', '--json']);
    lastGrantAt = Date.now();
    expect(stored.code, stored.stderr).toBe(0);
    // hh.ru issues one application token per application (a new one revokes the last), whichever user profile asks.
    expect(jsonOut(stored).app_token_file).toBe(join(h.tokenFile, '..', 'app-token.json'));
    const again = await h.run(['--profile', 'other', 'app-token']);
    expect(again.code, 'the same token: a second would revoke it').toBe(2);

    const all = await h.run(['refresh', '--all', '--json']);
    expect(all.code, all.stderr).toBe(0);
    expect(jsonOut(all).profiles.map((p: { name: string }) => p.name)).toEqual(['acme']);
  });

  it('HH_APP_TOKEN_FILE naming a user token file (a typo): refused (exit 3) before hh.ru is asked, --rotate too; the user\'s pair is untouched', async () => {
    await storeGrant(h, h.tokenFile);
    const before = readFileSync(h.tokenFile, 'utf8');
    const grants = h.sandbox.stats().grants.client_credentials;
    for (const args of [['app-token'], ['app-token', '--rotate']]) {
      const out = await h.run([...args, '--json'], { env: { HH_APP_TOKEN_FILE: h.tokenFile } });
      expect(out.code, out.stderr).toBe(3);
      expect(jsonOut(out).error.message).toContain('user token');
    }
    expect(h.sandbox.stats().grants.client_credentials, 'nothing was sent').toBe(grants);
    expect(readFileSync(h.tokenFile, 'utf8')).toBe(before);
  });

  it('needs the client id and secret (exit 3), before anything is sent', async () => {
    const out = await h.run(['app-token'], { env: { HH_CLIENT_SECRET: undefined } });
    expect(out.code).toBe(3);
    expect(out.stderr).toContain('client secret');
  });
});
