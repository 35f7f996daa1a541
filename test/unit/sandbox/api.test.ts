import { describe, expect, it } from 'vitest';
import { call, grantAppToken, sleep, userPair, useSandboxes } from '../../helpers';

const start = useSandboxes();

const ALWAYS = ['auth_type', 'is_admin', 'is_applicant', 'is_application', 'is_employer', 'is_employer_integration'];
const PERSON = ['email', 'first_name', 'id', 'last_name', 'middle_name', 'phone'];

describe('GET /me', () => {
  it('describes an applicant', async () => {
    const sb = await start();
    const res = await call(sb, '/me', { token: (await userPair(sb)).access_token });
    expect(res.status).toBe(200);
    expect(Object.keys(res.json).sort()).toEqual([...ALWAYS, ...PERSON].sort());
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
    expect(sb.stats().meCalls).toBe(1);
  });

  it('describes an employer with employer and manager', async () => {
    const sb = await start({ user: 'employer' });
    const res = await call(sb, '/me', { token: (await userPair(sb)).access_token });
    expect(res.status).toBe(200);
    expect(Object.keys(res.json).sort()).toEqual([...ALWAYS, ...PERSON, 'employer', 'manager'].sort());
    expect(res.json).toMatchObject({ auth_type: 'employer', is_employer: true, is_applicant: false });
    expect(Object.keys(res.json.employer).sort()).toEqual(['id', 'name']);
    expect(res.json.manager).toEqual({ id: '5000001' });
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

  it.each([[{}], [{ 'user-agent': 'undici' }]])('answers 400 bad_user_agent for %j', async (headers) => {
    const sb = await start();
    const { access_token } = await userPair(sb);
    const res = await fetch(`${sb.url}/me`, { headers: { authorization: `Bearer ${access_token}`, ...headers } });
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).errors).toEqual([{ type: 'bad_user_agent', value: 'blacklisted' }]);
  });
});

describe('manager accounts', () => {
  it('lists two accounts for an employer', async () => {
    const sb = await start({ user: 'employer' });
    const res = await call(sb, '/manager_accounts/mine', { token: (await userPair(sb)).access_token });
    expect(res.status).toBe(200);
    expect(res.json.items).toHaveLength(2);
    const primary = res.json.items.filter((a: { is_primary: boolean }) => a.is_primary);
    expect(primary).toHaveLength(1);
    expect(primary[0].id).toBe(res.json.primary_account_id);
    for (const item of res.json.items) expect(Object.keys(item).sort()).toEqual(['id', 'is_primary', 'name']);
  });

  it('refuses the list to an applicant', async () => {
    const sb = await start();
    const res = await call(sb, '/manager_accounts/mine', { token: (await userPair(sb)).access_token });
    expect(res.status).toBe(403);
    expect(res.json.errors).toEqual([{ type: 'manager_accounts', value: 'not_employer' }]);
  });

  it('echoes a chosen account in /me and refuses an unknown one', async () => {
    const sb = await start({ user: 'employer' });
    const token = (await userPair(sb)).access_token;
    const list = await call(sb, '/manager_accounts/mine', { token });
    const secondary = list.json.items.find((a: { is_primary: boolean }) => !a.is_primary).id as string;

    const chosen = await call(sb, '/me', { token, headers: { 'x-manager-account-id': secondary } });
    expect(chosen.status).toBe(200);
    expect(chosen.json.manager.id).toBe(secondary);

    const wrong = await call(sb, '/me', { token, headers: { 'x-manager-account-id': '123' } });
    expect(wrong.status).toBe(403);
    expect(wrong.json.errors).toEqual([{ type: 'manager_accounts', value: 'used_manager_account_forbidden' }]);

    const wrongList = await call(sb, '/manager_accounts/mine', { token, headers: { 'x-manager-account-id': '123' } });
    expect(wrongList.status).toBe(403);
  });

  it('refuses X-Manager-Account-Id from an applicant', async () => {
    const sb = await start();
    const res = await call(sb, '/me', {
      token: (await userPair(sb)).access_token,
      headers: { 'x-manager-account-id': '5000001' },
    });
    expect(res.status).toBe(403);
    expect(res.json.errors).toEqual([{ type: 'manager_accounts', value: 'used_manager_account_forbidden' }]);
  });
});

describe('DELETE /oauth/token', () => {
  it('revokes the access token', async () => {
    const sb = await start();
    const { access_token } = await userPair(sb);
    const res = await call(sb, '/oauth/token', { method: 'DELETE', token: access_token });
    expect(res.status).toBe(204);
    expect(res.text).toBe('');
    expect(sb.stats().revoked).toBe(1);
    const me = await call(sb, '/me', { token: access_token });
    expect(me.status).toBe(403);
    expect(me.json.errors).toEqual([{ type: 'oauth', value: 'token_revoked' }]);
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
});

describe('routing and limits', () => {
  it('answers 404 JSON for an unknown route', async () => {
    const sb = await start();
    const res = await call(sb, '/vacancies');
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.json.errors[0].type).toBe('not_found');
  });

  it('answers 405 with Allow for a known route and another method', async () => {
    const sb = await start();
    const res = await call(sb, '/token');
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
  });

  it('refuses a body over 64 KiB with 413 and accepts one just under', async () => {
    const sb = await start();
    const post = (size: number) =>
      call(sb, '/token', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `grant_type=password&x=${'a'.repeat(size)}`,
      });
    expect((await post(70 * 1024)).status).toBe(413);
    const under = await post(60 * 1024);
    expect(under.status).toBe(400);
    expect(under.json.error).toBe('unsupported_grant_type');
  });
});
