import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { byName, jsonOut, storeGrant, useHarness, waitForExpiry, writeTokenFile } from '../helpers';

const EXPIRES_IN = 1;
const h = useHarness({ expiresIn: EXPIRES_IN });

/** Bytes and nanosecond mtime: "untouched" means both are identical. */
function fingerprint(path: string): { bytes: string; mtimeNs: bigint; ino: bigint } {
  const info = statSync(path, { bigint: true });
  return { bytes: readFileSync(path, 'utf8'), mtimeNs: info.mtimeNs, ino: info.ino };
}

async function loginAs(profile: string): Promise<void> {
  const callback = await h.authorize(['--profile', profile]);
  const out = await h.run(['--profile', profile, 'exchange', '-', '--json'], { input: callback });
  expect(out.code, out.stderr).toBe(0);
  expect(jsonOut(out).token_file).toBe(h.profileFile(profile));
}

describe('profiles: one token file per account', () => {
  it('exchange --profile NAME creates profiles/NAME.json (0600 in 0700) and leaves the default file alone', async () => {
    await h.login();
    const before = fingerprint(h.tokenFile);
    await loginAs('acme');
    expect(statSync(h.profileFile('acme')).mode & 0o777).toBe(0o600);
    expect(statSync(join(h.dir, 'state', 'profiles')).mode & 0o777).toBe(0o700);
    expect(fingerprint(h.tokenFile)).toEqual(before);
    const a = JSON.parse(readFileSync(h.profileFile('acme'), 'utf8'));
    const d = JSON.parse(readFileSync(h.tokenFile, 'utf8'));
    expect(a.refresh_token).not.toBe(d.refresh_token);
  });

  it('exchange stores the token in the profile authorize-url was run for, and refuses another one', async () => {
    const callback = await h.authorize(['--profile', 'shop-2']);
    const wrong = await h.run(['--profile', 'other', 'exchange', '-'], { input: callback });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('started for profile shop-2');
    expect(existsSync(h.profileFile('other'))).toBe(false);

    const out = await h.run(['exchange', '-', '--json'], { input: callback });
    expect(out.code, out.stderr).toBe(0);
    expect(jsonOut(out).token_file).toBe(h.profileFile('shop-2'));
    expect(existsSync(h.tokenFile)).toBe(false);
  });

  it('refreshing one profile never touches another: bytes, mtime and inode of the others stay identical', async () => {
    await storeGrant(h, h.tokenFile);
    await storeGrant(h, h.profileFile('a'));
    await storeGrant(h, h.profileFile('b'));
    await waitForExpiry(EXPIRES_IN);
    const defaultBefore = fingerprint(h.tokenFile);
    const bBefore = fingerprint(h.profileFile('b'));
    const aBefore = fingerprint(h.profileFile('a'));

    const out = await h.run(['--profile', 'a', 'refresh', '--json']);
    expect(out.code, out.stderr).toBe(0);
    expect(jsonOut(out).status).toBe('refreshed');
    expect(fingerprint(h.profileFile('a')).bytes).not.toBe(aBefore.bytes);
    expect(fingerprint(h.tokenFile)).toEqual(defaultBefore);
    expect(fingerprint(h.profileFile('b'))).toEqual(bBefore);
    // Nothing left beside them: no lock, no temp file.
    expect(readdirSync(join(h.dir, 'state', 'profiles')).sort()).toEqual(['a.json', 'b.json']);

    const viaEnv = await h.run(['refresh', '--json'], { env: { HH_PROFILE: 'b' } });
    expect(viaEnv.code, viaEnv.stderr).toBe(0);
    expect(jsonOut(viaEnv).status).toBe('refreshed');
    expect(fingerprint(h.profileFile('b')).bytes).not.toBe(bBefore.bytes);
    expect(fingerprint(h.tokenFile)).toEqual(defaultBefore);
  });

  it('--profile default is the single default file', async () => {
    await storeGrant(h, h.tokenFile);
    const out = await h.run(['--profile', 'default', 'refresh', '--json']);
    expect(out.code, out.stderr).toBe(0);
    expect(jsonOut(out).status).toBe('not_due');
    expect(existsSync(join(h.dir, 'state', 'profiles'))).toBe(false);
  });

  it('profiles --json lists every profile with its state and expiry; the human form is a table on stdout', async () => {
    await storeGrant(h, h.tokenFile);
    await storeGrant(h, h.profileFile('zeta'));
    await storeGrant(h, h.profileFile('alpha'));
    writeTokenFile(h.profileFile('broken'), '{"access_token": "tru');
    writeTokenFile(join(h.dir, 'state', 'profiles', 'Not-A-Profile.json'), '{}');
    writeTokenFile(join(h.dir, 'state', 'profiles', 'notes.txt'), 'hello');

    const out = await h.run(['profiles', '--json']);
    expect(out.code, out.stderr).toBe(0);
    const doc = jsonOut(out);
    expect(doc.token_dir).toBe(join(h.dir, 'state'));
    expect(doc.profiles.map((p: { name: string }) => p.name)).toEqual(['default', 'alpha', 'broken', 'zeta']);
    const rows = byName<{ name: string }>(doc.profiles);
    expect(rows.default).toMatchObject({ default: true, token_file: h.tokenFile, state: expect.stringMatching(/^(valid|expired-refreshable)$/) });
    expect(rows.alpha).toMatchObject({ default: false, token_file: h.profileFile('alpha'), expires_at: expect.any(String), obtained_at: expect.any(String) });
    expect(rows.broken).toMatchObject({ state: 'corrupt', expires_at: null, seconds_left: null });

    await waitForExpiry(EXPIRES_IN);
    const later = jsonOut(await h.run(['profiles', '--json']));
    expect(later.profiles.find((p: { name: string }) => p.name === 'zeta').state).toBe('expired-refreshable');

    const human = await h.run(['profiles']);
    const lines = human.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^PROFILE\s+STATE\s+EXPIRES\s+LEFT\s+MANAGER$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/)[0])).toEqual(['default', 'alpha', 'broken', 'zeta']);
  });

  it('profiles with nothing stored lists nothing and exits 0', async () => {
    const out = await h.run(['profiles', '--json']);
    expect(out.code).toBe(0);
    expect(jsonOut(out).profiles).toEqual([]);
  });
});

describe('profile names are validated before anything touches the disk or hh.ru', () => {
  // Every bad name is checked in-process in profile-name.test.ts; these go through the built CLI.
  const BAD = ['../x', '.hidden', 'x'.repeat(65), 'Upper'];

  it.each(BAD)('--profile %j is a usage error (exit 2); HH_PROFILE is a config error (exit 3)', async (name) => {
    const flag = await h.run(['--profile', name, 'refresh', '--json']);
    expect(flag.code).toBe(2);
    expect(jsonOut(flag).error.code).toBe('usage');
    expect(flag.stderr).toContain('--profile: the profile name is not valid');
    const env = await h.run(['refresh', '--json'], { env: { HH_PROFILE: name } });
    expect(env.code).toBe(3);
    expect(jsonOut(env).error.code).toBe('config');
  });

  it('an empty --profile is refused rather than read as "the default"', async () => {
    const out = await h.run(['--profile', '', 'refresh']);
    expect(out.code).toBe(2);
  });

  it('a traversal name cannot make exchange spend a code or write outside the profiles directory', async () => {
    const callback = await h.authorize();
    const exchanged = h.sandbox.stats().exchanged;
    for (const name of ['../escaped', '../../escaped', 'a/../../escaped']) {
      const out = await h.run(['--profile', name, 'exchange', '-'], { input: callback });
      expect(out.code).toBe(2);
    }
    expect(h.sandbox.stats().exchanged).toBe(exchanged);
    const everything = readdirSync(h.dir, { recursive: true }).map(String);
    expect(everything.filter((p) => p.includes('escaped'))).toEqual([]);
    expect(existsSync(h.tokenFile)).toBe(false);
  });

  it('a 64-character name, dots, dashes and underscores are fine', async () => {
    const name = `a${'b'.repeat(59)}.-_9`;
    expect(name).toHaveLength(64);
    await storeGrant(h, h.profileFile(name));
    const out = await h.run(['--profile', name, 'refresh', '--json']);
    expect(out.code, out.stderr).toBe(0);
    expect(jsonOut(out).status).toBe('not_due');
  });
});
