import { readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import { jsonOut } from './helpers/cli';
import { REDIRECT_URI, useHarness } from './helpers/workspace';

const h = useHarness({ expiresIn: 2 });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('the token lifecycle, end to end through the built CLI', () => {
  it('authorize-url → browser → exchange stores the pair verbatim with obtained_at/expires_at, 0600 in 0700', async () => {
    const callback = await h.authorize();
    const out = await h.run(['exchange', '-', '--json'], { input: callback });
    expect(out.code).toBe(0);
    const doc = jsonOut(out);
    expect(doc).toEqual({ status: 'stored', token_file: h.tokenFile, expires_at: expect.any(String) });
    const file = JSON.parse(readFileSync(h.tokenFile, 'utf8'));
    expect(Object.keys(file)).toEqual(['access_token', 'token_type', 'expires_in', 'refresh_token', 'obtained_at', 'expires_at']);
    expect(file.expires_in).toBe(2);
    expect(Date.parse(file.expires_at) - Date.parse(file.obtained_at)).toBe(2000);
    expect(statSync(h.tokenFile).mode & 0o777).toBe(0o600);
    expect(statSync(dirname(h.tokenFile)).mode & 0o777).toBe(0o700);
  });

  it('refresh before expiry is not_due and sends nothing; after expiry it spends the refresh token exactly once', async () => {
    await h.login();
    const before = h.sandbox.stats().grants.refresh_token;
    const early = await h.run(['refresh', '--json']);
    expect(early.code).toBe(0);
    expect(jsonOut(early).status).toBe('not_due');
    expect(h.sandbox.stats().grants.refresh_token).toBe(before);

    await sleep(2100);
    const due = await h.run(['refresh', '--json']);
    expect(due.code, due.stderr).toBe(0);
    expect(jsonOut(due)).toMatchObject({ status: 'refreshed', seconds_left: expect.any(Number) });
    const sent = h.sandbox.requests().filter((r) => r.method === 'POST' && r.path === '/token').at(-1)!;
    expect(sent.body).toMatch(/^grant_type=refresh_token&refresh_token=[A-Z0-9]+$/);
  });

  it('whoami prints the /me body for --json and a one-line summary otherwise', async () => {
    await h.login();
    const json = await h.run(['whoami', '--json']);
    expect(json.code).toBe(0);
    expect(jsonOut(json)).toMatchObject({ auth_type: 'applicant', email: 'ivan.petrov@example.com' });
    const human = await h.run(['whoami']);
    expect(human.stdout.trim().split('\n')).toHaveLength(1);
    expect(human.stdout).toContain('Ivan Petrov <ivan.petrov@example.com> (applicant)');
  });

  it('exchange sends the byte-identical redirect_uri that authorize-url used', async () => {
    const callback = await h.authorize();
    expect((await h.run(['exchange', '-'], { input: callback })).code).toBe(0);
    const sent = h.sandbox.requests().filter((r) => r.path === '/token').at(-1)!;
    expect(new URLSearchParams(sent.body).get('redirect_uri')).toBe(REDIRECT_URI);
  });
});
