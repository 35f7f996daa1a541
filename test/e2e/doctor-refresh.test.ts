import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { jsonOut, sleep, useHarness, useStandInCallback } from '../helpers';

const h = useHarness({ expiresIn: 2 });
const callback = useStandInCallback();

describe('hh-oauth doctor with an expired access token', () => {
  it('--no-refresh stays read-only and says so; by default it refreshes through the locked path and says so', async () => {
    await h.login();
    await sleep(2100);
    const args = ['doctor', '--json', '--skip-systemd', '--skip-nginx'];
    const env = { HH_REDIRECT_URI: callback.url };
    const before = readFileSync(h.tokenFile, 'utf8');
    const grants = h.sandbox.stats().grants.refresh_token;

    const readOnly = await h.run([...args, '--no-refresh'], { env });
    const stale = jsonOut(readOnly).checks.find((c: { name: string }) => c.name === 'token-accepted');
    expect(readOnly.code).toBe(6); // temporary: the next timer run fixes it
    expect(stale).toMatchObject({ status: 'fail', code: 'temporary' });
    expect(stale.message).toContain('not refreshed (--no-refresh)');
    expect(stale.fix).toContain('hh-oauth refresh');
    expect(readFileSync(h.tokenFile, 'utf8')).toBe(before);
    expect(h.sandbox.stats().grants.refresh_token).toBe(grants);

    const fixed = await h.run(args, { env });
    expect(fixed.code, fixed.stdout).toBe(0);
    const accepted = jsonOut(fixed).checks.find((c: { name: string }) => c.name === 'token-accepted');
    expect(accepted.status).toBe('pass');
    expect(accepted.message).toMatch(/the access token had expired, so doctor refreshed it \(now valid until \S+Z\)$/);
    expect(h.sandbox.stats().grants.refresh_token).toBe(grants + 1);
    expect(readFileSync(h.tokenFile, 'utf8')).not.toBe(before);
  });
});
