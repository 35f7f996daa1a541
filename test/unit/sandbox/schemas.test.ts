import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CLIENT, DOCUMENTED_ERRORS, type Fault, type Persona, type Sandbox } from '../../../src/sandbox/index';
import { requires, USER_AGENT, useSandboxes } from '../../helpers';
import subset from '../../fixtures/hh-openapi/subset.json';
import { answerErrors, schemaErrors, schemaFor, type Answer } from './hh-schemas';

// Every body the sandbox can send, held to hh.ru's published schemas (the fixture's source and
// date are in its info). Each answer below is checked as it arrives; the last test checks that
// every kind of answer was met, so that a new branch in the sandbox cannot go unvalidated
// (it reads what the tests before it saw: run the file whole).

const start = useSandboxes();
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const seen = new Set<string>();

/** Validates one answer against hh.ru's schema for it and records its kind. */
function conforms(answer: Answer, kind: string): void {
  expect(answerErrors(answer), `${answer.method} ${answer.path} ${answer.status} (${kind}): ${JSON.stringify(answer.body)}`).toEqual([]);
  seen.add(kind);
}

async function send(sb: Sandbox, method: string, path: string, init: { token?: string; form?: Record<string, string> | string; headers?: Record<string, string> } = {}): Promise<Answer> {
  const headers: Record<string, string> = { 'user-agent': USER_AGENT, ...init.headers };
  if (init.token !== undefined) headers.authorization = `Bearer ${init.token}`;
  let body: string | undefined;
  if (init.form !== undefined) {
    headers['content-type'] ??= 'application/x-www-form-urlencoded';
    body = typeof init.form === 'string' ? init.form : new URLSearchParams(init.form).toString();
  }
  const res = await fetch(`${sb.url}${path}`, { method, headers, body });
  const text = await res.text();
  // Every answer of hh.ru's carries a request id; every errors[] body the same one.
  expect(res.headers.get('x-request-id'), `${method} ${path} ${res.status}`).toMatch(/^[0-9a-f]{32}$/);
  const json = text === '' ? undefined : JSON.parse(text);
  if (json && typeof json === 'object' && 'errors' in json) expect(json.request_id).toBe(res.headers.get('x-request-id'));
  return { method, path, status: res.status, body: json };
}

async function code(sb: Sandbox, extra: Record<string, string> = {}): Promise<string> {
  const query = new URLSearchParams({ response_type: 'code', client_id: DEFAULT_CLIENT.clientId, ...extra });
  const res = await fetch(`${sb.env.HH_AUTHORIZE_URL}?${query}`, { redirect: 'manual' });
  return new URL(res.headers.get('location') ?? '').searchParams.get('code') ?? '';
}

const exchange = (c: string, extra: Record<string, string> = {}) => ({
  grant_type: 'authorization_code',
  client_id: DEFAULT_CLIENT.clientId,
  client_secret: DEFAULT_CLIENT.clientSecret,
  code: c,
  ...extra,
});
const credentials = { grant_type: 'client_credentials', client_id: DEFAULT_CLIENT.clientId, client_secret: DEFAULT_CLIENT.clientSecret };
const refresh = (token: string) => ({ grant_type: 'refresh_token', refresh_token: token });

async function pair(sb: Sandbox, path = '/token'): Promise<{ access_token: string; refresh_token: string }> {
  const answer = await send(sb, 'POST', path, { form: exchange(await code(sb)) });
  conforms(answer, 'token 200 user pair');
  return answer.body as { access_token: string; refresh_token: string };
}

async function appToken(sb: Sandbox): Promise<string> {
  const answer = await send(sb, 'POST', '/token', { form: credentials });
  conforms(answer, 'token 200 application');
  return (answer.body as { access_token: string }).access_token;
}

const rfc = (answer: Answer) => `${(answer.body as { error: string }).error}/${(answer.body as { error_description: string }).error_description}`;

describe('the token endpoint (POST /token = POST /oauth/token)', () => {
  it('successes: a user pair from each path and each grant, an application token', async () => {
    const sb = await start({ expiresIn: 1 });
    await pair(sb, '/token');
    const p = await pair(sb, '/oauth/token');
    await appToken(sb);
    await sleep(1100);
    conforms(await send(sb, 'POST', '/token', { form: refresh(p.refresh_token) }), 'token 200 user pair');
  });

  it('every RFC 6749 error the sandbox gives is one of the documented pairs', async () => {
    const sb = await start({ expiresIn: 1, codeTtl: 1 });
    const errors: Answer[] = [];
    const post = async (form: Record<string, string>) => errors.push(await send(sb, 'POST', '/token', { form }));
    const { client_secret: _s, ...noSecret } = exchange(await code(sb));
    await post(noSecret);
    await post({ ...exchange(await code(sb)), client_secret: 'wrong' });
    await post({ ...exchange(''), code: '' });
    await post(exchange('A'.repeat(64)));
    await post(exchange(await code(sb, { redirect_uri: `${DEFAULT_CLIENT.redirectUri}/x` })));
    await post({ grant_type: 'refresh_token' });
    await post(refresh(`USER${'Z'.repeat(60)}`));
    await post({ grant_type: 'password' });
    const used = await code(sb);
    await send(sb, 'POST', '/token', { form: exchange(used) });
    await post(exchange(used));
    const p = await pair(sb);
    await post(refresh(p.refresh_token)); // not expired
    const expiring = await code(sb);
    await sleep(1100);
    await post(exchange(expiring)); // code expired
    await send(sb, 'POST', '/token', { form: refresh(p.refresh_token) });
    await post(refresh(p.refresh_token)); // already refreshed
    const revoked = await pair(sb);
    await send(sb, 'DELETE', '/oauth/token', { token: revoked.access_token });
    await post(refresh(revoked.refresh_token));
    await send(sb, 'POST', '/token', { form: credentials });
    await post(credentials); // too early: 403
    const other = await start({ clients: [DEFAULT_CLIENT, { clientId: 'other', clientSecret: 'other-secret', redirectUri: 'http://localhost:9/cb' }] });
    const foreign = await fetch(`${other.env.HH_AUTHORIZE_URL}?response_type=code&client_id=other`, { redirect: 'manual' });
    const foreignCode = new URL(foreign.headers.get('location') ?? '').searchParams.get('code') ?? '';
    errors.push(await send(other, 'POST', '/token', { form: exchange(foreignCode) })); // bad token

    for (const answer of errors) conforms(answer, `token ${answer.status} ${rfc(answer)}`);
    expect(new Set(errors.map(rfc))).toEqual(
      new Set([
        'invalid_client/client_id or client_secret not found',
        'invalid_request/code not found',
        'invalid_request/bad redirect url',
        'invalid_request/token is empty',
        'invalid_request/token not found',
        'unsupported_grant_type/unsupported grant_type',
        'invalid_grant/code has already been used',
        'invalid_grant/token not expired',
        'invalid_grant/code expired',
        'invalid_grant/token has already been refreshed',
        'invalid_grant/token was revoked',
        'forbidden/app token refresh too early',
        'invalid_grant/bad token',
      ]),
    );
  });

  it('requests hh.ru cannot take: the general errors[] bodies', async () => {
    const sb = await start();
    const p = await pair(sb);
    conforms(await send(sb, 'POST', '/token', { form: { ...refresh(p.refresh_token), client_secret: 'x' } }), 'token 400 bad_argument');
    conforms(await send(sb, 'POST', '/token', { form: `${new URLSearchParams(exchange('C'))}&code=D` }), 'token 400 bad_argument');
    conforms(await send(sb, 'POST', '/token', { form: '{}', headers: { 'content-type': 'application/json' } }), 'token 400 bad_request');
    conforms(await send(sb, 'POST', '/token', { form: `grant_type=x&y=${'a'.repeat(70 * 1024)}` }), 'token 413 bad_request');
    conforms(await send(sb, 'GET', '/token'), '405 bad_request');
    conforms(await send(sb, 'GET', '/vacancies'), '404 not_found');
    for (const agent of ['', 'node', 'MyApp/1.0 (my-app-feedback@example.com)']) {
      const answer = await send(sb, 'POST', '/token', { form: credentials, headers: { 'user-agent': agent } });
      conforms(answer, `400 bad_user_agent/${agent === '' ? 'unset' : 'blacklisted'}`);
    }
  });
});

describe.each(['employer', 'employer_integration', 'applicant'] as Persona[])('GET /me and the manager accounts for a %s', (persona) => {
  it('answers every success and refusal as specified', async () => {
    const sb = await start({ persona, expiresIn: 1 });
    const p = await pair(sb);
    const me = await send(sb, 'GET', '/me', { token: p.access_token });
    expect(me.status).toBe(200);
    conforms(me, `me 200 ${persona}`);
    expect(schemaFor(me)).toBe('MeProfile');

    const mine = await send(sb, 'GET', '/manager_accounts/mine', { token: p.access_token });
    conforms(mine, persona === 'employer' ? 'mine 200' : 'mine 403 forbidden');
    conforms(await send(sb, 'GET', '/me', { token: p.access_token, headers: { 'x-manager-account-id': '123' } }), 'me 403 manager_extra_account_not_found');
    if (persona === 'employer') {
      for (const path of ['/me', '/manager_accounts/mine']) {
        const chosen = await send(sb, 'GET', path, { token: p.access_token, headers: { 'x-manager-account-id': '5000002' } });
        expect(chosen.status).toBe(200);
        conforms(chosen, path === '/me' ? 'me 200 employer' : 'mine 200');
        conforms(await send(sb, 'GET', path, { token: p.access_token, headers: { 'x-manager-account-id': '5000009' } }), `${path} 403 used_manager_account_forbidden`);
      }
    }
    conforms(await send(sb, 'GET', '/me', { token: `USER${'Q'.repeat(60)}` }), 'me 403 bad_authorization');
    conforms(await send(sb, 'GET', '/me', { token: p.access_token, headers: { 'user-agent': '' } }), '400 bad_user_agent/unset');
    await sleep(1100);
    conforms(await send(sb, 'GET', '/me', { token: p.access_token }), 'me 403 token_expired');
    conforms(await send(sb, 'GET', '/manager_accounts/mine', { token: p.access_token }), 'mine 403 token_expired');
    conforms(await send(sb, 'DELETE', '/oauth/token', { token: p.access_token }), 'revoke 403 token_expired');
    const next = (await send(sb, 'POST', '/token', { form: refresh(p.refresh_token) })).body as { access_token: string };
    conforms(await send(sb, 'GET', '/me', { token: p.access_token }), 'me 403 token_revoked'); // the refreshed pair's old token
    conforms(await send(sb, 'DELETE', '/oauth/token', { token: next.access_token }), 'revoke 204');
    conforms(await send(sb, 'GET', '/me', { token: next.access_token }), 'me 403 token_revoked');
    conforms(await send(sb, 'DELETE', '/oauth/token', { token: next.access_token }), 'revoke 403 token_revoked');
  });
});

describe('an application token', () => {
  it('gets its own /me, and the refusals of what needs a user', async () => {
    const sb = await start({ appTokenMinInterval: 0 });
    const token = await appToken(sb);
    conforms(await send(sb, 'GET', '/me', { token }), 'me 200 application');
    conforms(await send(sb, 'GET', '/manager_accounts/mine', { token }), 'mine 403 user_auth_expected');
    conforms(await send(sb, 'DELETE', '/oauth/token', { token }), 'revoke 403 user_auth_expected');
    conforms(await send(sb, 'DELETE', '/oauth/token', { token: `APPL${'Q'.repeat(60)}` }), 'revoke 403 bad_authorization');
    await appToken(sb); // replaces the first
    conforms(await send(sb, 'GET', '/me', { token }), 'me 403 token_revoked');
  });
});

describe('faults that imitate hh.ru JSON', () => {
  it.each(Object.keys(DOCUMENTED_ERRORS))('documented error %s conforms to hh.ru\'s schemas, answered where it belongs (token endpoint or /me)', async (name) => {
    const sb = await start();
    sb.fault({ kind: 'answer', documented: name });
    const isTokenEndpoint = !/^(oauth|manager_|captcha|several)/.test(name);
    const answer = await send(sb, isTokenEndpoint ? 'POST' : 'GET', isTokenEndpoint ? '/token' : '/me', isTokenEndpoint ? { form: credentials } : {});
    conforms(answer, 'documented errors');
  });

  it('token-expired conforms, on /me and on a path the fixture does not hold', async () => {
    const sb = await start();
    const p = await pair(sb);
    sb.fault({ kind: 'token-expired' } as Fault);
    conforms(await send(sb, 'GET', '/me', { token: p.access_token }), 'fault token-expired');
    conforms(await send(sb, 'GET', '/negotiations', { token: p.access_token }), 'fault token-expired');
  });

  it('unknown-error and missing-access-token break the schemas, as they are meant to', async () => {
    const sb = await start();
    sb.fault({ kind: 'unknown-error', times: 1 });
    const unknown = await send(sb, 'POST', '/token', { form: credentials });
    expect(answerErrors(unknown)).not.toEqual([]);
    sb.fault({ kind: 'missing-access-token', times: 1 });
    const broken = await send(sb, 'POST', '/token', { form: credentials });
    expect(answerErrors(broken).join('\n')).toMatch(/access_token/);
  });
});

describe('the validator itself (a test of the test)', () => {
  const flags = { is_admin: false, is_applicant: false, is_application: false, is_employer: true, is_employer_integration: false };
  const person = { id: '1', first_name: 'A', last_name: 'B', email: 'a@example.com' };

  it.each([
    ['the old sandbox manager accounts', 'GET', '/manager_accounts/mine', 200, { primary_account_id: '1', items: [{ id: '1', name: 'x', is_primary: true }] }],
    ['a manager with its id only (the old employer /me)', 'GET', '/me', 200, { auth_type: 'employer', ...flags, ...person, employer: { id: '9', name: 'E' }, manager: { id: '5' } }],
    ['an auth_type hh.ru does not have', 'GET', '/me', 200, { auth_type: 'recruiter', ...flags }],
    ['a flag missing', 'GET', '/me', 200, { auth_type: 'application', is_admin: false }],
    ['an invented error_description', 'POST', '/token', 400, { error: 'invalid_request', error_description: 'client_id is empty' }],
    ['a stray space (the spec prose has them; its enum does not)', 'POST', '/token', 400, { error: 'invalid_grant', error_description: 'bad token ' }],
    ['an errors[] body without request_id', 'GET', '/me', 403, { errors: [{ type: 'oauth', value: 'token_expired' }] }],
    ['an invented errors[] value', 'GET', '/me', 403, { errors: [{ type: 'manager_accounts', value: 'not_employer' }], request_id: 'r' }],
    ['a user pair without expires_in', 'POST', '/token', 200, { access_token: 'A', token_type: 'bearer', refresh_token: 'R' }],
    ['a bad_user_agent with a value hh.ru does not use', 'GET', '/me', 400, { errors: [{ type: 'bad_user_agent', value: 'missing' }], request_id: 'r' }],
    ['a body on the 204 of a revoke', 'DELETE', '/oauth/token', 204, { ok: true }],
    ['a status hh.ru does not declare', 'GET', '/me', 418, { errors: [{ type: 'oauth' }], request_id: 'r' }],
  ] as const)('refuses %s', (_what, method, path, status, body) => {
    expect(answerErrors({ method, path, status, body })).not.toEqual([]);
  });

  it('accepts the specification\'s own examples', () => {
    const token = subset.paths['/oauth/token'].post.responses['200'].content['application/json'].examples;
    expect(schemaErrors('AuthUserTokenAndAppToken', token['user auth'].value)).toEqual([]);
    expect(schemaErrors('AuthUserTokenAndAppToken', token['app auth'].value)).toEqual([]);
    const { summary: _s, ...accountNotFound } = subset.paths['/oauth/token'].post.responses['400'].content['application/json'].examples['account not found'].value;
    expect(schemaErrors('ErrorsCommonBadAuthorizationBadParameters', accountNotFound)).toEqual([]);
  });
});

describe('coverage and the fixture', () => {
  it('met every kind of answer the sandbox gives', () => {
    const expected = [
      'token 200 user pair', 'token 200 application', 'token 400 bad_argument', 'token 400 bad_request', 'token 413 bad_request',
      '405 bad_request', '404 not_found', '400 bad_user_agent/unset', '400 bad_user_agent/blacklisted',
      'token 403 forbidden/app token refresh too early',
      'me 200 employer', 'me 200 employer_integration', 'me 200 applicant', 'me 200 application',
      'mine 200', 'mine 403 forbidden', 'mine 403 user_auth_expected', 'mine 403 token_expired',
      'me 403 bad_authorization', 'me 403 token_expired', 'me 403 token_revoked', 'me 403 manager_extra_account_not_found',
      '/me 403 used_manager_account_forbidden', '/manager_accounts/mine 403 used_manager_account_forbidden',
      'revoke 204', 'revoke 403 token_expired', 'revoke 403 token_revoked', 'revoke 403 user_auth_expected', 'revoke 403 bad_authorization',
      'documented errors', 'fault token-expired',
    ];
    expect(expected.filter((kind) => !seen.has(kind))).toEqual([]);
  });

  // The fixture is committed; when hh.ru's specification is at hand (../shared/reference from the
  // repository root, as in CI), it must still be what the script cuts from it.
  const source = process.env.HH_OPENAPI_YML ?? fileURLToPath(new URL('../../../../shared/reference/hh-openapi.yml', import.meta.url));
  it('is what scripts/hh-openapi-subset.mjs makes of hh-openapi.yml', async (ctx) => {
    requires(ctx, `hh.ru's OpenAPI specification at ${source} (or HH_OPENAPI_YML)`, existsSync(source));
    const script = '../../../scripts/hh-openapi-subset.mjs'; // a plain module: no types to resolve
    const { buildSubset } = (await import(script)) as { buildSubset: (text: string) => unknown };
    const committed = readFileSync(join(fileURLToPath(new URL('../../fixtures/hh-openapi/', import.meta.url)), 'subset.json'), 'utf8');
    expect(`${JSON.stringify(buildSubset(readFileSync(source, 'utf8')), null, 2)}\n`).toBe(committed);
  });
});
