import { describe, expect, it } from 'vitest';
import { EXIT_CODES, HhOauthError, toHhOauthError, type ErrorCode } from '../../../src/errors';
import { apiError, APP_TOKEN_TOO_EARLY, isNotExpiredAnswer, requestIdOf, TOKEN_EXPIRED, tokenEndpointError } from '../../../src/hh/errors';
import { DOCUMENTED_ERRORS } from '../../../src/sandbox/hh-errors';

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

/** A placeholder User-Agent, which hh.ru refuses: no hint may suggest one. */
const PLACEHOLDER = /example\.(com|org|net)|MyApp|YourApp|you@/i;

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

  it('"token not expired" is recognised as not-due, with or without a stray space', () => {
    expect(isNotExpiredAnswer(tokenEndpointError(400, { error: 'invalid_grant', error_description: 'token not expired' }))).toBe(true);
    expect(isNotExpiredAnswer(tokenEndpointError(400, { error: 'invalid_grant', error_description: 'token not expired ' }))).toBe(true);
    expect(isNotExpiredAnswer(tokenEndpointError(400, { error: 'invalid_grant', error_description: 'bad token' }))).toBe(false);
  });

  it('bad_user_agent is a configuration problem', () => {
    expect(tokenEndpointError(400, { errors: [{ type: 'bad_user_agent', value: 'blacklisted' }] }).code).toBe('config');
  });

  it('a 4xx without an OAuth body is rejected, not a crash', () => {
    expect(tokenEndpointError(404, undefined).code).toBe('rejected');
  });
});

describe('values with stray spaces (the specification prose has "bad token ", "token deactivated ")', () => {
  it.each(['bad token ', 'token deactivated ', ' token was revoked'])('invalid_grant / %j is still recognised (exit 4, not the unknown-error 5)', (description) => {
    const err = tokenEndpointError(400, { error: 'invalid_grant', error_description: description });
    expect(err.code).toBe('reauthorize');
    expect(err.hhErrorDescription).toBe(description.trim());
  });

  it('"token deactivated" names both causes: a password change, and the reported one after a normal expiry, with the force_login workaround', () => {
    const err = tokenEndpointError(400, { error: 'invalid_grant', error_description: 'token deactivated ' });
    expect(err.message).toMatch(/password/);
    expect(err.suggestion).toMatch(/--force-login/);
    expect(err.suggestion).toMatch(/this is not my profile/i);
    expect(err.suggestion).toMatch(/password/);
  });
});

/** What each documented error of the sandbox (hh.ru's documented list) must become. */
const DOCUMENTED: Record<string, { code: ErrorCode; hint: RegExp }> = {
  'invalid_request/account not found': { code: 'rejected', hint: /HH_CLIENT_ID/ },
  'invalid_request/account is locked': { code: 'rejected', hint: /support/ },
  'invalid_request/password invalidated': { code: 'reauthorize', hint: /password.*authorize/ },
  'invalid_request/login not verified': { code: 'rejected', hint: /support/ },
  'invalid_request/bad redirect url': { code: 'rejected', hint: /HH_REDIRECT_URI/ },
  'invalid_request/token is empty': { code: 'reauthorize', hint: /authorize-url/ },
  'invalid_request/token not found': { code: 'reauthorize', hint: /authorize-url/ },
  'invalid_request/code not found': { code: 'reauthorize', hint: /authorize-url/ },
  'invalid_client/client_id or client_secret not found': { code: 'rejected', hint: /HH_CLIENT_ID.*dev\.hh\.ru/ },
  'invalid_grant/token has already been refreshed': { code: 'reauthorize', hint: /authorize-url/ },
  'invalid_grant/token not expired': { code: 'reauthorize', hint: /nothing to do/ },
  'invalid_grant/token was revoked': { code: 'reauthorize', hint: /authorize-url/ },
  'invalid_grant/bad token': { code: 'reauthorize', hint: /authorize-url/ },
  'invalid_grant/code has already been used': { code: 'reauthorize', hint: /authorize-url/ },
  'invalid_grant/code expired': { code: 'reauthorize', hint: /authorize-url/ },
  'invalid_grant/code was revoke': { code: 'reauthorize', hint: /authorize-url/ },
  'invalid_grant/token deactivated': { code: 'reauthorize', hint: /force-login/ },
  'unsupported_grant_type/unsupported grant_type': { code: 'rejected', hint: /bug/ },
  'forbidden/app token refresh too early': { code: 'rejected', hint: /5 minutes/ },
  'forbidden/app token refresh too early (errors[])': { code: 'rejected', hint: /5 minutes/ },
  'oauth/bad_authorization': { code: 'reauthorize', hint: /authorize-url/ },
  'oauth/token_expired': { code: 'temporary', hint: /refresh --force/ },
  'oauth/token_revoked': { code: 'reauthorize', hint: /authorize-url/ },
  'oauth/application_not_found': { code: 'rejected', hint: /cannot help.*dev\.hh\.ru/ },
  'oauth/user_auth_expected': { code: 'rejected', hint: /user token/ },
  'oauth/application_auth_expected': { code: 'rejected', hint: /application token/ },
  'oauth/no_scope': { code: 'rejected', hint: /scope/ },
  forbidden: { code: 'rejected', hint: /employer|kind of token/ },
  'bad_user_agent/unset': { code: 'config', hint: /real name.*mailbox someone reads/ },
  'bad_user_agent/blacklisted': { code: 'config', hint: /real name.*mailbox someone reads/ },
  'manager_extra_accounts/manager_extra_account_not_found': { code: 'rejected', hint: /whoami --manager-accounts/ },
  'manager_accounts/used_manager_account_forbidden': { code: 'rejected', hint: /--manager-account/ },
  captcha_required: { code: 'rejected', hint: /captcha/ },
  several: { code: 'rejected', hint: /whoami --manager-accounts/ },
};

function mapDocumented(name: string, context = {}): HhOauthError {
  const reply = DOCUMENTED_ERRORS[name]!();
  const body = reply.body as Record<string, unknown>;
  const headers = new Headers(reply.headers ?? {});
  // The RFC shape comes only from the token endpoint; app-token's too-early refusal from a client_credentials grant.
  if ('error' in body || name.startsWith('forbidden/')) return tokenEndpointError(reply.status, body, { headers, grantType: 'client_credentials', ...context });
  return apiError(reply.status, body, { headers, ...context });
}

describe('every error hh.ru documents (the sandbox list, DOCUMENTED_ERRORS) has its exit code and a hint', () => {
  it('the table here covers every documented error', () => {
    expect(Object.keys(DOCUMENTED).sort()).toEqual(Object.keys(DOCUMENTED_ERRORS).sort());
  });

  it.each(Object.entries(DOCUMENTED))('%s → %o', (name, { code, hint }) => {
    const err = mapDocumented(name, { userAgent: 'Acme Hiring/2.1 (hh-api@acme.test)', managerAccountId: '5000002' });
    expect(err.code).toBe(code);
    expect(err.suggestion).toMatch(hint);
    expect(err.suggestion).not.toMatch(PLACEHOLDER);
    const reply = DOCUMENTED_ERRORS[name]!();
    // errors[] bodies carry their request_id; the RFC ones only the header (none here).
    if ('errors' in (reply.body as object)) expect(err.requestId).toMatch(/^[0-9a-f]{32}$/);
  });
});

describe('oauth errors on API calls', () => {
  it('token_expired is recognised as such, so callers refresh and retry', () => {
    expect(apiError(403, { errors: [{ type: 'oauth', value: 'token_expired' }], oauth_error: 'token-expired' }).hhReason).toBe(TOKEN_EXPIRED);
    // The legacy key alone, with no value: the same.
    expect(apiError(403, { errors: [{ type: 'oauth' }], oauth_error: 'token-expired' }).hhReason).toBe(TOKEN_EXPIRED);
  });

  it('token_revoked and bad_authorization: authorize again (exit 4)', () => {
    expect(apiError(403, { errors: [{ type: 'oauth', value: 'token_revoked' }] }).code).toBe('reauthorize');
    expect(apiError(403, { errors: [{ type: 'oauth', value: 'bad_authorization' }] }).code).toBe('reauthorize');
  });

  it('application_not_found and oauth_error client-id-deleted: the application was deleted, exit 5, and authorizing again cannot help', () => {
    for (const body of [
      { errors: [{ type: 'oauth', value: 'application_not_found' }] },
      { errors: [{ type: 'oauth' }], oauth_error: 'client-id-deleted' },
      { errors: [{ type: 'oauth', value: 'bad_authorization' }], oauth_error: 'client-id-deleted' },
    ]) {
      const err = apiError(403, body);
      expect(err.code, JSON.stringify(body)).toBe('rejected');
      expect(err.message).toMatch(/deleted/);
      expect(err.suggestion).toMatch(/authorizing again cannot help/);
    }
  });

  it('the wrong kind of token: the message names the kind the call needs', () => {
    expect(apiError(403, { errors: [{ type: 'oauth', value: 'user_auth_expected' }] }).message).toMatch(/needs a user's token/);
    expect(apiError(403, { errors: [{ type: 'oauth', value: 'application_auth_expected' }] }).message).toMatch(/needs the application's token/);
    expect(apiError(403, { errors: [{ type: 'oauth', value: 'no_scope' }] }).message).toMatch(/scope/);
  });
});

describe('manager accounts', () => {
  it('a wrong id: names the id that was sent', () => {
    const err = apiError(403, { errors: [{ type: 'manager_extra_accounts', value: 'manager_extra_account_not_found' }] }, { managerAccountId: '123' });
    expect(err.code).toBe('rejected');
    expect(err.message).toContain('123');
    expect(err.suggestion).toMatch(/whoami --manager-accounts/);
  });

  it('a blocked one: names the id sent and lists the allowed accounts hh.ru sent', () => {
    const err = mapDocumented('manager_accounts/used_manager_account_forbidden', { managerAccountId: '5000009' });
    expect(err.code).toBe('rejected');
    expect(err.message).toContain('5000009');
    expect(err.message).toMatch(/blocked/);
    expect(err.suggestion).toContain('5000001 (Example Sandbox LLC)');
    expect(err.suggestion).toContain('5000002 (Example Sandbox Recruiting LLC)');
  });
});

describe('captcha_required', () => {
  const body = (entry: Record<string, unknown>) => ({ errors: [{ type: 'captcha_required', value: 'captcha_required', ...entry }], request_id: 'r1' });

  it('exit 5, with captcha_url and backurl appended: the redirect URI when there is one', () => {
    const err = apiError(403, body({ captcha_url: 'https://hh.ru/account/captcha?state=S1' }), { redirectUri: 'https://bot.acme.test/callback' });
    expect(err.code).toBe('rejected');
    expect(err.suggestion).toContain(`https://hh.ru/account/captcha?state=S1&backurl=${encodeURIComponent('https://bot.acme.test/callback')}`);
    expect(err.suggestion).toMatch(/in a browser/);
  });

  it('else https://hh.ru', () => {
    const err = apiError(403, body({ captcha_url: 'https://hh.ru/account/captcha' }));
    expect(err.suggestion).toContain(`https://hh.ru/account/captcha?backurl=${encodeURIComponent('https://hh.ru')}`);
  });

  it('only a fallback_url: that page', () => {
    const err = apiError(403, body({ captcha_url: null, fallback_url: 'https://hh.ru/account/connect/register?x=1' }));
    expect(err.code).toBe('rejected');
    expect(err.suggestion).toContain('https://hh.ru/account/connect/register?x=1');
  });
});

describe('bad_user_agent', () => {
  it('unset and blacklisted are told apart; the blacklisted value is named; no placeholder is suggested', () => {
    const unset = apiError(400, { errors: [{ type: 'bad_user_agent', value: 'unset' }] }, { userAgent: 'Acme/1.0 (ops@acme.test)' });
    const blacklisted = apiError(400, { errors: [{ type: 'bad_user_agent', value: 'blacklisted' }] }, { userAgent: 'Acme/1.0 (ops@acme.test)' });
    expect(unset.code).toBe('config');
    expect(blacklisted.code).toBe('config');
    expect(unset.message).toMatch(/no User-Agent/);
    expect(blacklisted.message).toMatch(/refuses the User-Agent "Acme\/1\.0 \(ops@acme\.test\)"/);
    expect(unset.message).not.toBe(blacklisted.message);
    for (const err of [unset, blacklisted]) {
      expect(err.suggestion).toMatch(/your product's real name.*a mailbox someone reads/);
      expect(err.suggestion).not.toMatch(PLACEHOLDER);
    }
  });
});

describe('several errors in one body', () => {
  const body = {
    errors: [
      { type: 'oauth', value: 'bad_authorization' },
      { type: 'manager_extra_accounts', value: 'manager_extra_account_not_found' },
    ],
    request_id: 'several-1',
  };

  it('every entry is reported, hh_error keeps the first, the exit code is the most serious (SEVERITY)', () => {
    const err = apiError(403, body, { managerAccountId: '77' });
    expect(err.hhError).toBe('oauth');
    expect(err.hhErrorDescription).toBe('bad_authorization');
    expect(err.hhErrors).toEqual(body.errors);
    // rejected (5) outranks reauthorize (4): fixing the account id comes first.
    expect(err.code).toBe('rejected');
    expect(err.message).toMatch(/2 errors/);
    expect(err.message).toMatch(/access token/);
    expect(err.message).toContain('77');
    expect(err.suggestion).toMatch(/whoami --manager-accounts/);
    expect(err.suggestion).toMatch(/authorize-url/);
  });
});

describe('request_id', () => {
  it('from the body, else the X-Request-Id header (sent twice as "id, id": one)', () => {
    expect(requestIdOf({ request_id: 'body-1' }, new Headers({ 'x-request-id': 'header-1' }))).toBe('body-1');
    expect(requestIdOf({ error: 'invalid_grant' }, new Headers({ 'x-request-id': 'header-1' }))).toBe('header-1');
    expect(requestIdOf(undefined, new Headers({ 'x-request-id': 'abc, abc' }))).toBe('abc');
    expect(requestIdOf(undefined, new Headers())).toBeUndefined();
    expect(requestIdOf({ request_id: '' }, undefined)).toBeUndefined();
  });

  it('is on the error and in its message, for either shape', () => {
    const rfc = tokenEndpointError(400, { error: 'invalid_grant', error_description: 'bad token' }, { headers: new Headers({ 'x-request-id': 'rid-7, rid-7' }) });
    expect(rfc.requestId).toBe('rid-7');
    expect(rfc.message).toMatch(/request_id: rid-7\)?$/);
    const api = apiError(403, { errors: [{ type: 'oauth', value: 'token_revoked' }], request_id: 'rid-8' });
    expect(api.requestId).toBe('rid-8');
    expect(api.message).toContain('request_id: rid-8');
  });

  it('an error hh.ru did not answer has none', () => {
    expect(new HhOauthError('temporary', 'no answer').message).toBe('no answer');
  });
});

describe('app token refresh too early, in both shapes', () => {
  it('is recognised as the 5-minute refusal in the RFC shape and in the errors[] shape', () => {
    const rfc = tokenEndpointError(403, { error: 'forbidden', error_description: 'app token refresh too early' }, { grantType: 'client_credentials' });
    const api = tokenEndpointError(403, { errors: [{ type: 'forbidden' }], description: 'app token refresh too early', request_id: 'r' }, { grantType: 'client_credentials' });
    for (const err of [rfc, api]) {
      expect(err.code).toBe('rejected');
      expect(err.hhReason).toBe(APP_TOKEN_TOO_EARLY);
      expect(err.hhError).toBe('forbidden');
    }
  });
});

describe('a lost answer: an earlier attempt failed in flight, and hh.ru then says the grant was spent', () => {
  const lostAttempt = 'POST api.hh.ru/token failed: ECONNRESET (socket hang up)';

  it('"token has already been refreshed" after a lost attempt says hh.ru accepted the first and the pair is gone (exit 4)', () => {
    const err = tokenEndpointError(400, { error: 'invalid_grant', error_description: 'token has already been refreshed' }, { lostAttempt });
    expect(err.code).toBe('reauthorize');
    expect(err.message).toMatch(/accepted the first attempt/);
    expect(err.message).toMatch(/answer was lost/);
    expect(err.message).toMatch(/pair is gone/);
    expect(err.message).toContain('ECONNRESET');
    expect(err.suggestion).toMatch(/authorize-url/);
  });

  it('without a lost attempt the message claims no such thing', () => {
    const err = tokenEndpointError(400, { error: 'invalid_grant', error_description: 'token has already been refreshed' });
    expect(err.message).not.toMatch(/lost/);
  });

  it('the same for a code', () => {
    const err = tokenEndpointError(400, { error: 'invalid_grant', error_description: 'code has already been used' }, { lostAttempt });
    expect(err.code).toBe('reauthorize');
    expect(err.message).toMatch(/answer was lost/);
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

describe("hh.ru's words never reach Object.prototype", () => {
  it.each([
    ['api', { errors: [{ type: '', value: 'valueOf' }] }],
    ['api', { errors: [{ type: 'constructor' }] }],
    ['api', { errors: [{ type: 'oauth' }], oauth_error: 'toString' }],
    ['token', { error: 'constructor', error_description: 'x' }],
    ['token', { error: '__proto__' }],
  ] as const)('%s %j is mapped as an unknown error', (where, body) => {
    const err = where === 'api' ? apiError(403, body) : tokenEndpointError(400, body, { lostAttempt: 'x' });
    expect(err).toBeInstanceOf(HhOauthError);
    expect(Object.keys(EXIT_CODES)).toContain(err.code);
    expect(err.suggestion).toBeTruthy();
  });
});
