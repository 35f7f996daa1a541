import { describe, expect, it } from 'vitest';
import type { Config } from '../../../src/config/config';
import { checkTokenAccepted } from '../../../src/doctor/remote';
import type { HhClient } from '../../../src/hh/client';
import { describeMe, meSummary } from '../../../src/hh/me';
import { EMPLOYER_ACCOUNTS, meBody } from '../../../src/sandbox/personas';
import type { StoredToken } from '../../../src/token/read';

/**
 * One description of a /me body (src/hh/me.ts): whoami's answer, login's closing line and
 * doctor's token-accepted check. doctor's own copy left out the employer and the manager, which is what an employer's integration most needs to see.
 */
const expiresAt = new Date(Date.now() + 7 * 86400_000 + 3 * 3600_000 + 60_000);
const token = { accessToken: 'not-a-real-token', refreshToken: 'not-a-real-one-either', expiresAt } as unknown as StoredToken;
const clientAnswering = (json: Record<string, unknown>): HhClient =>
  ({ api: async () => ({ status: 200, json }) }) as unknown as HhClient;

describe('the /me one-line description', () => {
  const employer = meBody({ kind: 'user', persona: 'employer' }, EMPLOYER_ACCOUNTS[1], 'https://api.example');

  it('names the person, the employer and the manager account', () => {
    expect(describeMe(employer)).toBe('Ivan Petrov <ivan.petrov@example.com> (employer, Example Sandbox Recruiting LLC, manager 7000002)');
    expect(describeMe(meBody({ kind: 'application' }, undefined, 'https://api.example'))).toBe('application (application)');
    expect(describeMe({})).toBe('application (unknown)');
  });

  it('doctor says the same as whoami, without the expiry that whoami adds', async () => {
    const check = await checkTokenAccepted({} as Config, clientAnswering(employer), token, false);
    expect(check).toMatchObject({ name: 'token-accepted', status: 'pass' });
    expect(check.message).toBe(`GET /me accepted it: ${describeMe(employer)}`);
    expect(check.message).toContain('Example Sandbox Recruiting LLC, manager 7000002');
    expect(meSummary(employer, expiresAt)).toBe(`${describeMe(employer)}; token expires ${expiresAt.toISOString()} (in 7d 3h)`);
  });
});
