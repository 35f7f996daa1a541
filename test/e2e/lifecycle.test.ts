import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import { jsonOut, REDIRECT_URI, sleep, useHarness } from '../helpers';

const h = useHarness({ expiresIn: 2 });

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
    expect(jsonOut(json)).toMatchObject({ auth_type: 'employer', email: 'ivan.petrov@example.com', employer: { name: 'Example Sandbox LLC' } });
    const human = await h.run(['whoami']);
    expect(human.stdout.trim().split('\n')).toHaveLength(1);
    expect(human.stdout).toContain('Ivan Petrov <ivan.petrov@example.com> (employer, Example Sandbox LLC, manager 7000001)');
  });

  it('exchange sends the byte-identical redirect_uri that authorize-url used', async () => {
    const callback = await h.authorize();
    expect((await h.run(['exchange', '-'], { input: callback })).code).toBe(0);
    const sent = h.sandbox.requests().filter((r) => r.path === '/token').at(-1)!;
    expect(new URLSearchParams(sent.body).get('redirect_uri')).toBe(REDIRECT_URI);
  });

  it('10 simultaneous refreshes of an expired token spend it exactly once; all exit 0; the file ends valid', async () => {
    await h.login();
    await sleep(2100);
    const before = h.sandbox.stats().grants.refresh_token;
    const runs = await Promise.all(Array.from({ length: 10 }, () => h.run(['refresh', '--json'])));
    expect(runs.map((r) => r.code)).toEqual(Array(10).fill(0));
    expect(h.sandbox.stats().grants.refresh_token - before).toBe(1);
    expect(runs.filter((r) => jsonOut(r).status === 'refreshed')).toHaveLength(1);
    const file = JSON.parse(readFileSync(h.tokenFile, 'utf8'));
    expect(Date.parse(file.expires_at)).toBeGreaterThan(Date.now());
  });

  it('whoami refreshes first when the token has expired', async () => {
    await h.login();
    await sleep(2100);
    const before = h.sandbox.stats().refreshed;
    const out = await h.run(['whoami', '--json']);
    expect(out.code, out.stderr).toBe(0);
    expect(h.sandbox.stats().refreshed).toBe(before + 1);
    expect(out.stderr).toContain('refreshed');
  });

  it('whoami refreshes once and retries when hh.ru says token_expired although the file says valid', async () => {
    await h.login();
    await sleep(2100);
    const file = JSON.parse(readFileSync(h.tokenFile, 'utf8'));
    file.expires_at = new Date(Date.now() + 3600_000).toISOString(); // our clock is wrong
    writeFileSync(h.tokenFile, JSON.stringify(file));
    const out = await h.run(['whoami', '--json']);
    expect(out.code, out.stderr).toBe(0);
    expect(jsonOut(out).email).toBe('ivan.petrov@example.com');
    expect(JSON.parse(readFileSync(h.tokenFile, 'utf8')).refresh_token).not.toBe(file.refresh_token);
  });

  it('exchange also takes its input as an argument (the contract form), here a secret-free denied callback', async () => {
    // Tests never put a live code in argv (the leak scan checks argv too); docs/commands.md recommends `exchange -`.
    const callback = new URL(await h.authorize());
    const out = await h.run(['exchange', `${REDIRECT_URI}?error=access_denied&state=${callback.searchParams.get('state')}`]);
    expect(out.code).toBe(4);
    expect(out.stderr).toContain('access was denied');
  });
});

