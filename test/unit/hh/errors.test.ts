import { describe, expect, it } from 'vitest';
import { EXIT_CODES, HhOauthError, toHhOauthError } from '../../../src/errors';
import { apiError, isNotExpiredAnswer, tokenEndpointError } from '../../../src/hh/errors';

/** Every row of HH-FACTS.md's token-endpoint table, with the exit code docs/contract.md gives it. */
const TABLE: Array<[string, string, keyof typeof EXIT_CODES]> = [
  ['invalid_request', 'account not found', 'rejected'],
  ['invalid_request', 'account is locked', 'rejected'],
  ['invalid_request', 'password invalidated', 'reauthorize'],
  ['invalid_request', 'login not verified', 'rejected'],
  ['invalid_request', 'bad redirect url', 'rejected'],
  ['invalid_request', 'token is empty', 'reauthorize'],
  ['invalid_request', 'token not found', 'reauthorize'],
  ['invalid_request', 'code not found', 'reauthorize'],
  ['invalid_client', 'client_id or client_secret not found', 'rejected'],
  ['invalid_grant', 'token has already been refreshed', 'reauthorize'],
  ['invalid_grant', 'token was revoked', 'reauthorize'],
  ['invalid_grant', 'token deactivated', 'reauthorize'],
  ['invalid_grant', 'bad token', 'reauthorize'],
  ['invalid_grant', 'code has already been used', 'reauthorize'],
  ['invalid_grant', 'code expired', 'reauthorize'],
  ['invalid_grant', 'code was revoke', 'reauthorize'],
  ['unsupported_grant_type', 'unsupported grant_type', 'rejected'],
  ['forbidden', 'app token refresh too early', 'rejected'],
  ['something_new', 'never seen', 'rejected'],
];

describe('hh.ru token-endpoint errors → exit codes', () => {
  it.each(TABLE)('%s / %s → %s, with hh.ru fields and a suggestion', (error, description, code) => {
    const err = tokenEndpointError(400, { error, error_description: description });
    expect(err.code).toBe(code);
    expect(err.hhError).toBe(error);
    expect(err.hhErrorDescription).toBe(description);
    expect(err.suggestion).toBeTruthy();
  });

  it('"token has already been refreshed" tells the operator to authorize again', () => {
    expect(tokenEndpointError(400, { error: 'invalid_grant', error_description: 'token has already been refreshed' }).suggestion).toMatch(/authorize-url.*exchange/);
  });

  it('"token not expired" is recognised as not-due', () => {
    expect(isNotExpiredAnswer(tokenEndpointError(400, { error: 'invalid_grant', error_description: 'token not expired' }))).toBe(true);
    expect(isNotExpiredAnswer(tokenEndpointError(400, { error: 'invalid_grant', error_description: 'bad token' }))).toBe(false);
  });

  it('bad_user_agent is a configuration problem', () => {
    expect(tokenEndpointError(400, { errors: [{ type: 'bad_user_agent', value: 'blacklisted' }] }).code).toBe('config');
  });

  it('a 4xx without an OAuth body is rejected, not a crash', () => {
    expect(tokenEndpointError(404, undefined).code).toBe('rejected');
  });
});

describe('API errors[] → exit codes', () => {
  it.each([
    ['token_expired', 'reauthorize'],
    ['token_revoked', 'reauthorize'],
    ['bad_authorization', 'reauthorize'],
  ])('oauth %s → %s', (value, code) => {
    const { value: v, error } = apiError(403, { errors: [{ type: 'oauth', value }], oauth_error: 'x' });
    expect(v).toBe(value);
    expect(error.code).toBe(code);
    expect(error.hhErrorDescription).toBe(value);
  });
  it('other API errors are rejected', () => {
    expect(apiError(403, { errors: [{ type: 'manager_accounts', value: 'used_manager_account_forbidden' }] }).error.code).toBe('rejected');
  });
});

describe('exit 1: anything that is not an HhOauthError is a bug', () => {
  it('is wrapped as internal with exit code 1', () => {
    const err = toHhOauthError(new TypeError('boom'));
    expect(err).toBeInstanceOf(HhOauthError);
    expect(err.exitCode).toBe(1);
    expect(err.code).toBe('internal');
  });
});
