import { existsSync, readdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fakePair, hoursFromNow, jsonOut, quickLogin, readJson, runInTty, runSecret, sleep, useHarness, writeTokenFile } from '../helpers';

// Access tokens live 2 s here, so "expired" is real at the sandbox too.
const h = useHarness({ expiresIn: 2 });

describe('hh-oauth token', () => {
  it('refuses a real terminal without --show (exit 2, nothing printed, nothing sent); prints the token there with --show', async () => {
    writeTokenFile(h.tokenFile, fakePair(hoursFromNow(1)));
    const requests = h.sandbox.requests().length;
    const refused = await runInTty(['token'], h.env());
    expect(refused.code).toBe(2);
    expect(refused.stdout).toContain('refusing to print the token to a terminal');
    expect(refused.stdout).not.toContain('FAKEACCESS');

    const shown = await runInTty(['token', '--show'], h.env(), { secretOutput: true });
    expect(shown.code).toBe(0);
    expect(shown.stdout.trim()).toBe('FAKEACCESSTOKEN0123456789');
    expect(h.sandbox.requests().length).toBe(requests);
  });

  it('piped: the token alone on stdout; --header the whole header; --json with expiry; nothing on stderr to strip', async () => {
    writeTokenFile(h.tokenFile, fakePair(hoursFromNow(1)));
    const plain = await runSecret(h, ['token']);
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stdout).toBe('FAKEACCESSTOKEN0123456789\n');
    expect(plain.stderr).toBe('');

    const header = await runSecret(h, ['token', '--header']);
    expect(header.stdout).toBe('Authorization: Bearer FAKEACCESSTOKEN0123456789\n');

    const json = jsonOut(await runSecret(h, ['token', '--json']));
    expect(json).toMatchObject({ access_token: 'FAKEACCESSTOKEN0123456789', token_type: 'bearer', expires_at: expect.any(String) });
    expect(json.seconds_left).toBeGreaterThan(3000);
  });

  it('an expired token is refreshed first (through the lock, once), and the new one printed', async () => {
    await quickLogin(h);
    const old = readJson(h.tokenFile);
    await sleep(2100);
    const refreshed = h.sandbox.stats().refreshed;
    const out = await runSecret(h, ['token']);
    expect(out.code, out.stderr).toBe(0);
    const now = readJson(h.tokenFile);
    expect(now.access_token).not.toBe(old.access_token);
    expect(out.stdout).toBe(`${now.access_token}\n`);
    expect(h.sandbox.stats().refreshed).toBe(refreshed + 1);
    expect(out.stderr).toContain('refreshed');
  });

  it('no token file: exit 4 with the way to authorize', async () => {
    const out = await runSecret(h, ['token']);
    expect(out.code).toBe(4);
    expect(out.stdout).toBe('');
    expect(out.stderr).toContain('authorize-url');
  });
});

describe('hh-oauth revoke of an expired token', () => {
  it('refreshes first (an expired access token cannot revoke), then revokes the new pair and removes the file', async () => {
    await quickLogin(h);
    await sleep(2100);
    const before = h.sandbox.stats();
    const out = await h.run(['revoke', '--yes', '--json']);
    expect(out.code, out.stderr).toBe(0);
    expect(jsonOut(out)).toMatchObject({ status: 'revoked', file: 'removed', kept_as: null });
    expect(h.sandbox.stats().refreshed).toBe(before.refreshed + 1);
    expect(h.sandbox.stats().revoked).toBe(before.revoked + 1);
    expect(existsSync(h.tokenFile)).toBe(false);
    // Nothing left behind: no temp file, no lock.
    expect(readdirSync(dirname(h.tokenFile))).toEqual([]);
  });
});
