import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DOCUMENTED_ERRORS } from '../../src/sandbox/hh-errors';
import { fakePair, jsonOut, REDIRECT_URI, type RunResult, storeGrant, useHarness, waitForExpiry, writeTokenFile } from '../helpers';

/**
 * Every error of hh.ru's error reference that hh-oauth can meet (sections oauth-get-errors,
 * oauth, user-agent, manager-accounts, captcha_required; the sandbox's DOCUMENTED_ERRORS),
 * answered by the sandbox to the built CLI: the exit code, the hint, and the request_id,
 * in --json and in the human message.
 */
const h = useHarness();
/** Pairs that expire within a second, for the tests that need hh.ru to accept a refresh. */
const quick = useHarness({ expiresIn: 1 });

type Command = 'refresh' | 'exchange' | 'whoami' | 'accounts' | 'app-token';

interface Row {
  command: Command;
  code: number;
  /** The hint (suggestion), in --json and on stderr. */
  hint: RegExp;
  message?: RegExp;
  /** Sent as X-Manager-Account-Id. */
  account?: string;
}

const NEW_PAIR = /authorize-url/;
const ROWS: Record<string, Row> = {
  'invalid_request/account not found': { command: 'refresh', code: 5, hint: /HH_CLIENT_ID/ },
  'invalid_request/account is locked': { command: 'refresh', code: 5, hint: /support/ },
  'invalid_request/password invalidated': { command: 'refresh', code: 4, hint: /password/ },
  'invalid_request/login not verified': { command: 'refresh', code: 5, hint: /support/ },
  'invalid_request/bad redirect url': { command: 'exchange', code: 5, hint: /HH_REDIRECT_URI/ },
  'invalid_request/token is empty': { command: 'refresh', code: 4, hint: NEW_PAIR },
  'invalid_request/token not found': { command: 'refresh', code: 4, hint: NEW_PAIR },
  'invalid_request/code not found': { command: 'exchange', code: 4, hint: NEW_PAIR },
  'invalid_client/client_id or client_secret not found': { command: 'refresh', code: 5, hint: /HH_CLIENT_ID.*dev\.hh\.ru/ },
  'invalid_grant/token has already been refreshed': { command: 'refresh', code: 4, hint: NEW_PAIR, message: /already used/ },
  'invalid_grant/token was revoked': { command: 'refresh', code: 4, hint: NEW_PAIR },
  'invalid_grant/bad token': { command: 'refresh', code: 4, hint: NEW_PAIR },
  'invalid_grant/code has already been used': { command: 'exchange', code: 4, hint: NEW_PAIR },
  'invalid_grant/code expired': { command: 'exchange', code: 4, hint: NEW_PAIR },
  'invalid_grant/code was revoke': { command: 'exchange', code: 4, hint: NEW_PAIR },
  'invalid_grant/token deactivated': { command: 'refresh', code: 4, hint: /force-login.*this is not my profile/i, message: /password/ },
  'unsupported_grant_type/unsupported grant_type': { command: 'refresh', code: 5, hint: /bug/ },
  'forbidden/app token refresh too early': { command: 'app-token', code: 5, hint: /in 5 minutes/, message: /at most one per 5 minutes/ },
  'forbidden/app token refresh too early (errors[])': { command: 'app-token', code: 5, hint: /in 5 minutes/, message: /at most one per 5 minutes/ },
  'oauth/bad_authorization': { command: 'whoami', code: 4, hint: NEW_PAIR },
  'oauth/token_revoked': { command: 'whoami', code: 4, hint: NEW_PAIR, message: /revoked/ },
  'oauth/application_not_found': { command: 'whoami', code: 5, hint: /authorizing again cannot help/, message: /deleted/ },
  'oauth/user_auth_expected': { command: 'whoami', code: 5, hint: /user token/, message: /needs a user's token/ },
  'oauth/application_auth_expected': { command: 'whoami', code: 5, hint: /application token/, message: /needs the application's token/ },
  'oauth/no_scope': { command: 'whoami', code: 5, hint: /scope/, message: /scope/ },
  forbidden: { command: 'accounts', code: 5, hint: /employer/ },
  'bad_user_agent/unset': { command: 'whoami', code: 3, hint: /your product's real name.*a mailbox someone reads/, message: /no User-Agent/ },
  'bad_user_agent/blacklisted': { command: 'refresh', code: 3, hint: /your product's real name.*a mailbox someone reads/, message: /hh-oauth-tests\/1\.0/ },
  'manager_extra_accounts/manager_extra_account_not_found': { command: 'whoami', account: '5000003', code: 5, hint: /whoami --manager-accounts/, message: /5000003/ },
  'manager_accounts/used_manager_account_forbidden': { command: 'whoami', account: '5000009', code: 5, hint: /5000001 \(Example Sandbox LLC\).*5000002/, message: /5000009.*blocked/ },
  captcha_required: { command: 'whoami', code: 5, hint: /in a browser/, message: /captcha/ },
  several: { command: 'whoami', account: '5000003', code: 5, hint: /whoami --manager-accounts.*authorize-url/, message: /2 errors/ },
};
/** Documented, but not failures here: each has its own test below. */
const ELSEWHERE = ['invalid_grant/token not expired', 'oauth/token_expired'];

const PLACEHOLDER = /example\.(com|org|net)\)|MyApp|YourApp|you@/i;
const PATHS: Record<Command, string> = { refresh: '/token', exchange: '/token', 'app-token': '/token', whoami: '/me', accounts: '/manager_accounts/mine' };
const hhCalls = (path: string) => h.sandbox.requests().filter((r) => r.path === path).length;

/** Runs the row's command with --json, against a token file (or a pending authorization) that fits it. */
async function runRow(row: Row): Promise<RunResult> {
  const account = row.account ? ['--manager-account', row.account] : [];
  switch (row.command) {
    case 'refresh':
      writeTokenFile(h.tokenFile, fakePair(new Date(Date.now() - 60_000)));
      return h.run([...account, 'refresh', '--json']);
    case 'exchange':
      return h.run(['exchange', '-', '--json'], { input: await h.authorize() });
    case 'app-token':
      h.env();
      return h.run(['app-token', '--json']);
    case 'whoami':
    case 'accounts':
      writeTokenFile(h.tokenFile, fakePair(new Date(Date.now() + 86400_000)));
      return h.run([...account, 'whoami', ...(row.command === 'accounts' ? ['--manager-accounts'] : []), '--json']);
  }
}

/** The entry as the sandbox sends it, with a known X-Request-Id header: the body's request_id, when it has one, is the one to report. */
function answer(name: string, headerId: string) {
  const reply = DOCUMENTED_ERRORS[name]!();
  const body = reply.body as Record<string, unknown>;
  const expected = typeof body.request_id === 'string' ? body.request_id : headerId;
  return { fault: { kind: 'answer' as const, status: reply.status, body, headers: { ...reply.headers, 'x-request-id': headerId } }, expected, body };
}

describe('every documented hh.ru error, through the built CLI', () => {
  it('covers the sandbox list', () => {
    expect([...Object.keys(ROWS), ...ELSEWHERE].sort()).toEqual(Object.keys(DOCUMENTED_ERRORS).sort());
  });

  it.each(Object.entries(ROWS))('%s', async (name, row) => {
    const { fault, expected, body } = answer(name, `hdr-${name.length}`);
    h.sandbox.fault({ ...fault, path: PATHS[row.command] });
    const before = hhCalls(PATHS[row.command]);
    const out = await runRow(row);
    expect(out.code, out.stderr).toBe(row.code);
    const { error } = jsonOut(out);
    expect(error.suggestion).toMatch(row.hint);
    expect(error.suggestion).not.toMatch(PLACEHOLDER);
    if (row.message) expect(error.message).toMatch(row.message);
    expect(error.request_id).toBe(expected);
    // The human message carries it too, and the hint.
    expect(out.stderr).toContain(`request_id: ${expected}`);
    expect(out.stderr).toContain(`hint: ${error.suggestion}`);
    if ('errors' in body) {
      expect(error.errors).toEqual(body.errors);
      expect(error.hh_error).toBe((body.errors as Array<{ type: string }>)[0]!.type);
    } else {
      expect(error.hh_error).toBe(body.error);
    }
    // None of these is retried: one request, and a person must act.
    expect(hhCalls(PATHS[row.command]) - before).toBe(1);
  });
});

describe('request_id', () => {
  it('the X-Request-Id header sent twice ("id, id") is reported once', async () => {
    h.sandbox.fault({ kind: 'answer', documented: 'invalid_grant/token was revoked', headers: { 'x-request-id': 'rid-twice, rid-twice' }, path: '/token' });
    const out = await runRow(ROWS['invalid_grant/token was revoked']!);
    expect(out.code).toBe(4);
    expect(jsonOut(out).error.request_id).toBe('rid-twice');
    expect(out.stderr).toContain('request_id: rid-twice');
    expect(out.stderr).not.toContain('rid-twice, rid-twice');
  });

  it('an answer without one (neither body nor header) reports none', async () => {
    h.sandbox.fault({ kind: 'answer', documented: 'invalid_grant/token was revoked', headers: { 'x-request-id': null }, path: '/token' });
    const out = await runRow(ROWS['invalid_grant/token was revoked']!);
    expect(out.code).toBe(4);
    expect(jsonOut(out).error.request_id).toBeUndefined();
    expect(out.stderr).not.toContain('request_id');
  });

  it('a temporary failure hh.ru answered (HTTP 503) shows its request_id too', async () => {
    h.sandbox.fault({ kind: 'answer', status: 503, body: { errors: [{ type: 'service_unavailable' }], request_id: 'rid-503' }, path: '/token' });
    writeTokenFile(h.tokenFile, fakePair(new Date(Date.now() - 60_000)));
    const out = await h.run(['refresh', '--json']);
    expect(out.code).toBe(6);
    expect(jsonOut(out).error.request_id).toBe('rid-503');
    expect(out.stderr).toContain('request_id: rid-503');
  });

  it('refresh --all --json reports each failed profile\'s request_id', async () => {
    writeTokenFile(h.tokenFile, fakePair(new Date(Date.now() - 60_000)));
    writeTokenFile(join(h.dir, 'state', 'profiles', 'acme.json'), fakePair(new Date(Date.now() - 60_000)), 0o600);
    h.sandbox.fault({ kind: 'answer', documented: 'invalid_grant/token was revoked', headers: { 'x-request-id': 'rid-all' }, path: '/token' });
    const out = await h.run(['refresh', '--all', '--json']);
    expect(out.code).toBe(4);
    const doc = jsonOut(out);
    expect(doc.profiles.map((p: { name: string; status: string; error: { request_id: string } }) => [p.name, p.status, p.error.request_id])).toEqual([
      ['default', 'failed', 'rid-all'],
      ['acme', 'failed', 'rid-all'],
    ]);
  });
});

describe('"token not expired" is not a failure of refresh', () => {
  it('refresh --force answered "token not expired" is exit 0, not due', async () => {
    h.sandbox.fault({ kind: 'answer', documented: 'invalid_grant/token not expired', path: '/token' });
    writeTokenFile(h.tokenFile, fakePair(new Date(Date.now() + 86400_000)));
    const out = await h.run(['refresh', '--force', '--json']);
    expect(out.code, out.stderr).toBe(0);
    expect(jsonOut(out).status).toBe('not_due');
  });
});

describe('stray spaces in hh.ru\'s values are tolerated', () => {
  it.each([
    ['bad token ', 4],
    ['token deactivated ', 4],
  ])('invalid_grant / %j → exit %i', async (description, code) => {
    h.sandbox.fault({ kind: 'answer', status: 400, body: { error: 'invalid_grant', error_description: description }, path: '/token' });
    writeTokenFile(h.tokenFile, fakePair(new Date(Date.now() - 60_000)));
    const out = await h.run(['refresh', '--json']);
    expect(out.code, out.stderr).toBe(code);
    expect(jsonOut(out).error.suggestion).toMatch(NEW_PAIR);
  });
});

describe('captcha_required: backurl is the redirect URI, else https://hh.ru', () => {
  const captcha = 'https://hh.ru/account/captcha?state=sandbox-captcha-state';
  it.each([
    [REDIRECT_URI, {}],
    ['https://hh.ru', { HH_REDIRECT_URI: undefined }],
  ])('backurl=%s', async (backurl, env) => {
    h.sandbox.fault({ kind: 'answer', documented: 'captcha_required', path: '/me' });
    writeTokenFile(h.tokenFile, fakePair(new Date(Date.now() + 86400_000)));
    const out = await h.run(['whoami', '--json'], { env });
    expect(out.code).toBe(5);
    expect(jsonOut(out).error.suggestion).toContain(`${captcha}&backurl=${encodeURIComponent(backurl)}`);
  });
});

describe('oauth/token_expired on any API call: refresh, then retry once', () => {
  const file = () => JSON.parse(readFileSync(h.tokenFile, 'utf8'));
  // The token-expired fault makes the sandbox count the pair as expired, so the forced refresh is accepted.
  const posts = () => h.sandbox.requests().filter((r) => r.method === 'POST' && r.path === '/token').length;

  it('whoami --manager-accounts, while the token file says the token is valid: one forced refresh, one retry', async () => {
    await storeGrant(h, h.tokenFile);
    const old = file();
    h.sandbox.fault({ kind: 'token-expired', path: '/manager_accounts/mine', times: 1 });
    const out = await h.run(['whoami', '--manager-accounts', '--json']);
    expect(out.code, out.stderr).toBe(0);
    expect(jsonOut(out).items).toHaveLength(2);
    expect(file().refresh_token).not.toBe(old.refresh_token);
  });

  it('revoke: refreshes and revokes the new pair (it used to say "authorize again", exit 4)', async () => {
    await storeGrant(h, h.tokenFile);
    const before = posts();
    const deletes = () => h.sandbox.requests().filter((r) => r.method === 'DELETE').length;
    const deletesBefore = deletes();
    h.sandbox.fault({ kind: 'token-expired', path: '/oauth/token', times: 1 });
    const out = await h.run(['revoke', '--yes', '--json']);
    expect(out.code, out.stderr).toBe(0);
    expect(jsonOut(out)).toMatchObject({ status: 'revoked', file: 'removed' });
    expect(posts() - before).toBe(1);
    expect(deletes() - deletesBefore).toBe(2);
  });

  it('doctor: the token-accepted check refreshes and retries (it used to fail with "is this clock behind?")', async () => {
    await storeGrant(h, h.tokenFile);
    const old = file();
    h.sandbox.fault({ kind: 'token-expired', path: '/me', times: 1 });
    const out = await h.run(['doctor', '--skip-systemd', '--skip-nginx', '--json']);
    const check = jsonOut(out).checks.find((c: { name: string }) => c.name === 'token-accepted');
    expect(check.status, JSON.stringify(check)).toBe('pass');
    expect(check.message).toMatch(/hh\.ru said the access token had expired/);
    expect(file().refresh_token).not.toBe(old.refresh_token);
  });

  it('hh.ru says token_expired again after the refresh: reported (exit 6, with its request_id), and no third request', async () => {
    await storeGrant(h, h.tokenFile);
    h.sandbox.fault({ kind: 'answer', documented: 'oauth/token_expired', path: '/me' });
    const calls = () => h.sandbox.requests().filter((r) => r.path === '/me').length;
    const before = calls();
    const out = await h.run(['whoami', '--json']);
    expect(out.code, out.stderr).toBe(6);
    const { error } = jsonOut(out);
    expect(error).toMatchObject({ code: 'temporary', hh_error: 'oauth', hh_error_description: 'token_expired' });
    expect(error.request_id).toMatch(/^[0-9a-f]{32}$/);
    expect(error.message).toMatch(/still/);
    expect(calls() - before).toBe(2);
  });
});

describe('a refresh whose answer was lost in flight', () => {
  it.each([
    ['reset', {}],
    ['hang', { HH_HTTP_TIMEOUT: '1' }],
  ] as const)('then: %s; the retry gets "token has already been refreshed": exit 4, saying the answer was lost', async (then, env) => {
    await storeGrant(quick, quick.tokenFile);
    await waitForExpiry(1);
    quick.sandbox.fault({ kind: 'lost-answer', then, path: '/token', times: 1 });
    const out = await quick.run(['refresh', '--json'], { env: { HH_HTTP_RETRIES: '1', ...env } });
    expect(out.code, out.stderr).toBe(4);
    const { error } = jsonOut(out);
    expect(error).toMatchObject({ code: 'reauthorize', hh_error: 'invalid_grant', hh_error_description: 'token has already been refreshed' });
    expect(error.message).toMatch(/hh\.ru accepted the first attempt.*its answer was lost.*the pair is gone/);
    expect(error.suggestion).toMatch(NEW_PAIR);
    expect(error.request_id).toMatch(/^[0-9a-f]{32}$/);
  });
});
