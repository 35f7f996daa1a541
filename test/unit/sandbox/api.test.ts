import { describe, expect, it } from 'vitest';
import { DEFAULT_CLIENT, type Sandbox } from '../../../src/sandbox/index';
import { call, grantAppToken, sleep, USER_AGENT, userPair, useSandboxes } from '../../helpers';

const start = useSandboxes();

const ALWAYS = ['auth_type', 'is_admin', 'is_applicant', 'is_application', 'is_employer', 'is_employer_integration'];
const PERSON = ['email', 'first_name', 'id', 'last_name', 'middle_name', 'phone'];

describe('GET /me', () => {
  it('describes an employer manager by default: person, employer (with manager_id), manager, personal_manager', async () => {
    const sb = await start();
    const res = await call(sb, '/me', { token: (await userPair(sb)).access_token });
    expect(res.status).toBe(200);
    expect(Object.keys(res.json).sort()).toEqual([...ALWAYS, ...PERSON, 'employer', 'manager', 'personal_manager'].sort());
    expect(res.json).toMatchObject({ auth_type: 'employer', is_employer: true, is_applicant: false, first_name: 'Ivan' });
    expect(res.json.employer).toEqual({ id: '9000001', name: 'Example Sandbox LLC', manager_id: '7000001' });
    // The manager's id, not the manager account's (5000001).
    expect(res.json.manager).toEqual({
      id: '7000001',
      has_admin_rights: true,
      has_multiple_manager_accounts: true,
      is_main_contact_person: true,
      manager_settings_url: `${sb.url}/employers/9000001/managers/7000001/settings`,
    });
    expect(Object.keys(res.json.personal_manager).sort()).toEqual(['email', 'first_name', 'id', 'is_available', 'last_name', 'photo_urls', 'unavailable']);
    expect(sb.stats().meCalls).toBe(1);
  });

  it('describes an applicant', async () => {
    const sb = await start({ persona: 'applicant' });
    const res = await call(sb, '/me', { token: (await userPair(sb)).access_token });
    expect(res.status).toBe(200);
    expect(Object.keys(res.json).sort()).toEqual([...ALWAYS, ...PERSON, 'counters', 'is_in_search', 'negotiations_url', 'resumes_url'].sort());
    expect(res.json).toMatchObject({
      auth_type: 'applicant',
      is_applicant: true,
      is_employer: false,
      is_application: false,
      is_admin: false,
      is_employer_integration: false,
      first_name: 'Ivan',
      last_name: 'Petrov',
      email: 'ivan.petrov@example.com',
    });
  });

  it('describes an employer integration: flags, employer and personal_manager, no person', async () => {
    const sb = await start({ persona: 'employer_integration' });
    const res = await call(sb, '/me', { token: (await userPair(sb)).access_token });
    expect(res.status).toBe(200);
    expect(Object.keys(res.json).sort()).toEqual([...ALWAYS, 'employer', 'personal_manager'].sort());
    expect(res.json).toMatchObject({ auth_type: 'employer_integration', is_employer_integration: true, is_employer: false });
    expect(res.json.employer).toEqual({ id: '9000001', name: 'Example Sandbox LLC' });
  });

  it('describes an application token', async () => {
    const sb = await start();
    const res = await call(sb, '/me', { token: await grantAppToken(sb) });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({
      auth_type: 'application',
      is_admin: false,
      is_applicant: false,
      is_application: true,
      is_employer: false,
      is_employer_integration: false,
    });
  });

  it.each([
    [undefined, 'no Authorization header'],
    ['Bearer', 'an empty bearer'],
    ['Bearer not-a-token!', 'garbage'],
    [`Bearer USER${'Q'.repeat(60)}`, 'an unknown token'],
    ['Basic dXNlcjpwdw==', 'another scheme'],
  ])('answers 403 bad_authorization for %j (%s)', async (authorization, _why) => {
    const sb = await start();
    const res = await call(sb, '/me', { headers: authorization === undefined ? {} : { authorization } });
    expect(res.status).toBe(403);
    expect(res.json.errors).toEqual([{ type: 'oauth', value: 'bad_authorization' }]);
    expect(res.json.oauth_error).toBeUndefined();
    expect(res.json.request_id).toMatch(/^[0-9a-f]{32}$/);
    expect(res.headers.get('x-request-id')).toBe(res.json.request_id);
  });

  it('answers token_expired with oauth_error once the access token expires', async () => {
    const sb = await start({ expiresIn: 1 });
    const { access_token } = await userPair(sb);
    expect((await call(sb, '/me', { token: access_token })).status).toBe(200);
    await sleep(1100);
    const res = await call(sb, '/me', { token: access_token });
    expect(res.status).toBe(403);
    expect(res.json).toMatchObject({ errors: [{ type: 'oauth', value: 'token_expired' }], oauth_error: 'token-expired' });
    expect(typeof res.json.request_id).toBe('string');
  });

  it.each([
    [{ 'user-agent': '' }, 'unset'],
    [{ 'user-agent': '  ' }, 'unset'],
    [{}, 'blacklisted'], // fetch then sends its default, "node"
    [{ 'user-agent': 'undici' }, 'blacklisted'],
    [{ 'user-agent': 'MyApp/1.0 (my-app-feedback@example.com)' }, 'blacklisted'],
    [{ 'user-agent': 'Acme/2.1 (my-app-feedback@example.com)' }, 'blacklisted'],
  ])('answers 400 bad_user_agent for %j: %s', async (headers, value) => {
    const sb = await start();
    const { access_token } = await userPair(sb);
    const res = await fetch(`${sb.url}/me`, { headers: { authorization: `Bearer ${access_token}`, ...headers } });
    expect(res.status).toBe(400);
    const json = (await res.json()) as any;
    expect(json.errors).toEqual([{ type: 'bad_user_agent', value }]);
    // Only what hh.ru documents: no sandbox-written description suggesting a placeholder.
    expect(Object.keys(json).sort()).toEqual(['errors', 'request_id']);
  });

  it('takes a real product name with a contact', async () => {
    const sb = await start();
    const { access_token } = await userPair(sb);
    const res = await fetch(`${sb.url}/me`, { headers: { authorization: `Bearer ${access_token}`, 'user-agent': 'AcmeHiring/2.1 (it-ops@acme.test)' } });
    expect(res.status).toBe(200);
  });
});

describe('manager accounts', () => {
  it('lists two accounts for the employer, as specified', async () => {
    const sb = await start();
    const res = await call(sb, '/manager_accounts/mine', { token: (await userPair(sb)).access_token });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({
      items: [
        { id: '5000001', employer: { id: '9000001', name: 'Example Sandbox LLC' } },
        { id: '5000002', employer: { id: '9000002', name: 'Example Sandbox Recruiting LLC' } },
      ],
      current_account_id: '5000001',
      primary_account_id: '5000001',
      is_primary_account_blocked: false,
    });
  });

  it('answers /me and the list as the account X-Manager-Account-Id chose', async () => {
    const sb = await start();
    const token = (await userPair(sb)).access_token;
    const chosen = await call(sb, '/me', { token, headers: { 'x-manager-account-id': '5000002' } });
    expect(chosen.status).toBe(200);
    expect(chosen.json.employer).toEqual({ id: '9000002', name: 'Example Sandbox Recruiting LLC', manager_id: '7000002' });
    expect(chosen.json.manager).toMatchObject({ id: '7000002', is_main_contact_person: false });
    const list = await call(sb, '/manager_accounts/mine', { token, headers: { 'x-manager-account-id': '5000002' } });
    expect(list.json).toMatchObject({ current_account_id: '5000002', primary_account_id: '5000001' });
  });

  it('refuses an unknown account id with manager_extra_account_not_found, on every API path', async () => {
    const sb = await start();
    const token = (await userPair(sb)).access_token;
    for (const path of ['/me', '/manager_accounts/mine']) {
      const wrong = await call(sb, path, { token, headers: { 'x-manager-account-id': '123' } });
      expect(wrong.status, path).toBe(403);
      expect(wrong.json.errors).toEqual([{ type: 'manager_extra_accounts', value: 'manager_extra_account_not_found' }]);
      expect(wrong.json.request_id).toMatch(/^[0-9a-f]{32}$/);
    }
  });

  it('refuses the blocked account with used_manager_account_forbidden and the allowed accounts', async () => {
    const sb = await start();
    const res = await call(sb, '/me', { token: (await userPair(sb)).access_token, headers: { 'x-manager-account-id': '5000009' } });
    expect(res.status).toBe(403);
    expect(res.json.errors).toEqual([
      {
        type: 'manager_accounts',
        value: 'used_manager_account_forbidden',
        allowed_accounts: [
          { id: '5000001', employer: { id: '9000001', name: 'Example Sandbox LLC' } },
          { id: '5000002', employer: { id: '9000002', name: 'Example Sandbox Recruiting LLC' } },
        ],
      },
    ]);
  });

  it.each([['applicant'], ['employer_integration']] as const)('refuses the list to an %s with a plain forbidden', async (persona) => {
    const sb = await start({ persona });
    const res = await call(sb, '/manager_accounts/mine', { token: (await userPair(sb)).access_token });
    expect(res.status).toBe(403);
    expect(res.json.errors).toEqual([{ type: 'forbidden' }]);
  });

  it('refuses the list to an application token: a user token is expected', async () => {
    const sb = await start();
    const res = await call(sb, '/manager_accounts/mine', { token: await grantAppToken(sb) });
    expect(res.status).toBe(403);
    expect(res.json.errors).toEqual([{ type: 'oauth', value: 'user_auth_expected' }]);
  });

  it('refuses X-Manager-Account-Id from a token that has no accounts', async () => {
    const sb = await start({ persona: 'applicant' });
    const res = await call(sb, '/me', {
      token: (await userPair(sb)).access_token,
      headers: { 'x-manager-account-id': '5000001' },
    });
    expect(res.status).toBe(403);
    expect(res.json.errors).toEqual([{ type: 'manager_extra_accounts', value: 'manager_extra_account_not_found' }]);
  });
});

describe('DELETE /oauth/token', () => {
  it('revokes the access token', async () => {
    const sb = await start();
    const { access_token } = await userPair(sb);
    const res = await call(sb, '/oauth/token', { method: 'DELETE', token: access_token });
    expect(res.status).toBe(204);
    expect(res.text).toBe('');
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f]{32}$/);
    expect(sb.stats().revoked).toBe(1);
    const me = await call(sb, '/me', { token: access_token });
    expect(me.status).toBe(403);
    expect(me.json).toMatchObject({ errors: [{ type: 'oauth', value: 'token_revoked' }], oauth_error: 'token-revoked' });
    const twice = await call(sb, '/oauth/token', { method: 'DELETE', token: access_token });
    expect(twice.status).toBe(403);
    expect(sb.stats().revoked).toBe(1);
  });

  it('answers 403 bad_authorization for an unknown token', async () => {
    const sb = await start();
    const res = await call(sb, '/oauth/token', { method: 'DELETE', token: `USER${'X'.repeat(60)}` });
    expect(res.status).toBe(403);
    expect(res.json.errors).toEqual([{ type: 'oauth', value: 'bad_authorization' }]);
    expect(sb.stats().revoked).toBe(0);
  });

  it('refuses an application token, which hh.ru cannot revoke, and leaves it working', async () => {
    const sb = await start();
    const token = await grantAppToken(sb);
    const res = await call(sb, '/oauth/token', { method: 'DELETE', token });
    expect(res.status).toBe(403);
    expect(res.json.errors).toEqual([{ type: 'oauth', value: 'user_auth_expected' }]);
    expect(sb.stats().revoked).toBe(0);
    expect((await call(sb, '/me', { token })).status).toBe(200);
  });
});

describe('routing and limits', () => {
  it('answers 404 JSON for an unknown route', async () => {
    const sb = await start();
    const res = await call(sb, '/vacancies');
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.json.errors).toEqual([{ type: 'not_found' }]);
  });

  it('answers 405 with Allow for a known route and another method', async () => {
    const sb = await start();
    const res = await call(sb, '/token');
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
    expect(res.json.errors).toEqual([{ type: 'bad_request' }]);
  });

  it('refuses a body over 64 KiB with 413 and accepts one just under', async () => {
    const sb = await start();
    const post = (size: number) =>
      call(sb, '/token', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `grant_type=password&x=${'a'.repeat(size)}`,
      });
    const over = await post(70 * 1024);
    expect(over.status).toBe(413);
    expect(over.json.errors).toEqual([{ type: 'bad_request' }]);
    const under = await post(60 * 1024);
    expect(under.status).toBe(400);
    expect(under.json.error).toBe('unsupported_grant_type');
  });
});
