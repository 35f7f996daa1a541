import { describe, expect, it } from 'vitest';
import { meSummary as summary } from '../../../src/hh/me';
import { EMPLOYER_ACCOUNTS, meBody } from '../../../src/sandbox/personas';

// The sandbox's /me bodies are held to hh.ru's schemas (test/unit/sandbox/schemas.test.ts), so
// they stand in for hh.ru's here.
const expiresAt = new Date(Date.now() + 3600_000);
const line = (me: Record<string, unknown>) => summary(me, expiresAt).replace(/; token expires .*$/, '');

describe('the /me summary', () => {
  it('names a manager, its employer and its manager id (not the manager account id)', () => {
    expect(line(meBody({ kind: 'user', persona: 'employer' }, undefined, 'http://x'))).toBe(
      'Ivan Petrov <ivan.petrov@example.com> (employer, Example Sandbox LLC, manager 7000001)',
    );
    expect(line(meBody({ kind: 'user', persona: 'employer' }, EMPLOYER_ACCOUNTS[1], 'http://x'))).toBe(
      'Ivan Petrov <ivan.petrov@example.com> (employer, Example Sandbox Recruiting LLC, manager 7000002)',
    );
  });

  it('names an employer integration by its employer, since it is no person', () => {
    expect(line(meBody({ kind: 'user', persona: 'employer_integration' }, undefined, 'http://x'))).toBe('Example Sandbox LLC (employer_integration)');
  });

  it('names an applicant and an application as before', () => {
    expect(line(meBody({ kind: 'user', persona: 'applicant' }, undefined, 'http://x'))).toBe('Ivan Petrov <ivan.petrov@example.com> (applicant)');
    expect(line(meBody({ kind: 'application' }, undefined, 'http://x'))).toBe('application (application)');
  });

  it('ends with the expiry', () => {
    expect(summary({ auth_type: 'application' }, expiresAt)).toMatch(/^application \(application\); token expires \d{4}-\S+Z \(in .+\)$/);
  });
});
