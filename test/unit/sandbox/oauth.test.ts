import { describe, expect, it } from 'vitest';
import { DEFAULT_CLIENT, type Sandbox } from '../../../src/sandbox/index';
import { exchangeForm, getCode, getMe, openAuthorize, postForm, readAnswer, refreshForm, SECRET_SHAPE, sleep, USER_AGENT, userPair, useSandboxes } from '../../helpers';

const start = useSandboxes();

describe('GET /oauth/authorize', () => {
  it('redirects to the registered URI with a code and the state', async () => {
    const sb = await start();
    const res = await openAuthorize(sb, { response_type: 'code', client_id: DEFAULT_CLIENT.clientId, state: 'xyz 1' });
    expect(res.status).toBe(302);
    const location = new URL(res.headers.get('location') ?? '');
    expect(`${location.origin}${location.pathname}`).toBe(DEFAULT_CLIENT.redirectUri);
    expect(location.searchParams.get('code')).toMatch(SECRET_SHAPE);
    expect(location.searchParams.get('state')).toBe('xyz 1');
    expect([...location.searchParams.keys()].sort()).toEqual(['code', 'state']);
  });

  it('omits state when none was sent', async () => {
    const sb = await start();
    const res = await openAuthorize(sb, { response_type: 'code', client_id: DEFAULT_CLIENT.clientId });
    const location = new URL(res.headers.get('location') ?? '');
    expect([...location.searchParams.keys()]).toEqual(['code']);
  });

  it('uses an allowed redirect_uri and appends to its query with &', async () => {
    const sb = await start();
    const redirect = 'http://127.0.0.1:8400/callback/sub?lang=RU';
    const res = await openAuthorize(sb, {
      response_type: 'code',
      client_id: DEFAULT_CLIENT.clientId,
      redirect_uri: redirect,
      state: 's1',
      force_login: 'true',
      skip_choose_account: 'true',
    });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toMatch(
      /^http:\/\/127\.0\.0\.1:8400\/callback\/sub\?lang=RU&code=[A-Z0-9]{64}&state=s1$/,
    );
  });

  it('redirects with error=access_denied when the user refuses', async () => {
    const sb = await start({ decision: 'deny' });
    const res = await openAuthorize(sb, { response_type: 'code', client_id: DEFAULT_CLIENT.clientId, state: 'st' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe(`${DEFAULT_CLIENT.redirectUri}?error=access_denied&state=st`);
    const noState = await openAuthorize(sb, { response_type: 'code', client_id: DEFAULT_CLIENT.clientId });
    expect(noState.headers.get('location')).toBe(`${DEFAULT_CLIENT.redirectUri}?error=access_denied`);
  });

  it('follows setDecision at run time', async () => {
    const sb = await start();
    sb.setDecision('deny');
    const denied = await openAuthorize(sb, { response_type: 'code', client_id: DEFAULT_CLIENT.clientId });
    expect(denied.headers.get('location')).toContain('error=access_denied');
    sb.setDecision('approve');
    const approved = await openAuthorize(sb, { response_type: 'code', client_id: DEFAULT_CLIENT.clientId });
    expect(approved.headers.get('location')).toMatch(/\?code=[A-Z0-9]{64}$/);
  });

  it.each([
    [{ response_type: 'code', client_id: 'nobody' }, 'unknown client_id'],
    [{ response_type: 'token', client_id: DEFAULT_CLIENT.clientId }, 'response_type token'],
    [{ client_id: DEFAULT_CLIENT.clientId }, 'no response_type'],
    [{ response_type: 'code', client_id: DEFAULT_CLIENT.clientId, redirect_uri: 'http://127.0.0.1:8401/callback' }, 'other port'],
    [{ response_type: 'code', client_id: DEFAULT_CLIENT.clientId, redirect_uri: 'https://127.0.0.1:8400/callback' }, 'other scheme'],
    [{ response_type: 'code', client_id: DEFAULT_CLIENT.clientId, redirect_uri: 'http://127.0.0.1:8400/callbacks' }, 'other path'],
  ])('answers 400 with a page and no redirect for %j (%s)', async (params, _why) => {
    const sb = await start();
    const res = await openAuthorize(sb, params as Record<string, string>);
    expect(res.status).toBe(400);
    expect(res.headers.get('location')).toBeNull();
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
  });

  it('needs no User-Agent (it is a browser page)', async () => {
    const sb = await start();
    const res = await fetch(`${sb.env.HH_AUTHORIZE_URL}?response_type=code&client_id=${DEFAULT_CLIENT.clientId}`, {
      redirect: 'manual',
      headers: { 'user-agent': '' },
    });
    expect(res.status).toBe(302);
  });
});

describe('POST /token, grant_type=authorization_code', () => {
  it('returns the documented token JSON and counts the exchange', async () => {
    const sb = await start({ expiresIn: 3600 });
    const res = await postForm(sb.env.HH_TOKEN_URL, exchangeForm(await getCode(sb)));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(Object.keys(res.json).sort()).toEqual(['access_token', 'expires_in', 'refresh_token', 'token_type']);
    expect(res.json.token_type).toBe('bearer');
    expect(res.json.expires_in).toBe(3600);
    expect(res.json.access_token).toMatch(/^USER[A-Z0-9]{60}$/);
    expect(res.json.refresh_token).toMatch(/^USER[A-Z0-9]{60}$/);
    expect(res.json.access_token).not.toBe(res.json.refresh_token);
    expect(sb.stats()).toMatchObject({ exchanged: 1, grants: { authorization_code: 1 } });
  });

  it('defaults expires_in to 14 days', async () => {
    const sb = await start();
    const res = await postForm(sb.env.HH_TOKEN_URL, exchangeForm(await getCode(sb)));
    expect(res.json.expires_in).toBe(1209600);
  });

  it('answers the same on the deprecated /oauth/token', async () => {
    const sb = await start();
    const res = await postForm(`${sb.url}/oauth/token`, exchangeForm(await getCode(sb)));
    expect(res.status).toBe(200);
    expect(res.json.access_token).toMatch(/^USER/);
  });

  it.each([
    ['client_secret', { error: 'invalid_client', error_description: 'client_id or client_secret not found' }],
    ['client_id', { error: 'invalid_client', error_description: 'client_id or client_secret not found' }],
    ['code', { error: 'invalid_request', error_description: 'code not found' }],
  ])('refuses a request without %s with the documented error', async (field, expected) => {
    const sb = await start();
    const form: Record<string, string> = exchangeForm(await getCode(sb));
    delete form[field];
    const res = await postForm(sb.env.HH_TOKEN_URL, form);
    expect(res.status).toBe(400);
    expect(res.json).toEqual(expected);
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f]{32}$/);
  });

  it.each([
    [{ client_secret: 'wrong' }, 'a wrong secret'],
    [{ client_id: 'unknown-client' }, 'an unknown client'],
  ])('answers invalid_client for %j (%s)', async (override, _why) => {
    const sb = await start();
    const res = await postForm(sb.env.HH_TOKEN_URL, exchangeForm(await getCode(sb), override));
    expect(res.status).toBe(400);
    expect(res.json).toEqual({ error: 'invalid_client', error_description: 'client_id or client_secret not found' });
  });

  it('answers code not found for an unknown code', async () => {
    const sb = await start();
    const res = await postForm(sb.env.HH_TOKEN_URL, exchangeForm('A'.repeat(64)));
    expect(res.status).toBe(400);
    expect(res.json).toEqual({ error: 'invalid_request', error_description: 'code not found' });
  });

  it('accepts a code only once', async () => {
    const sb = await start();
    const code = await getCode(sb);
    expect((await postForm(sb.env.HH_TOKEN_URL, exchangeForm(code))).status).toBe(200);
    const again = await postForm(sb.env.HH_TOKEN_URL, exchangeForm(code));
    expect(again.status).toBe(400);
    expect(again.json).toEqual({ error: 'invalid_grant', error_description: 'code has already been used' });
    expect(sb.stats()).toMatchObject({ exchanged: 1, grants: { authorization_code: 2 } });
  });

  it('refuses a code issued to another client', async () => {
    const other = { clientId: 'other-id', clientSecret: 'other-secret', redirectUri: 'http://localhost:9000/cb' };
    const sb = await start({ clients: [DEFAULT_CLIENT, other] });
    const code = await getCode(sb, {}, other.clientId);
    const res = await postForm(sb.env.HH_TOKEN_URL, exchangeForm(code));
    expect(res.status).toBe(400);
    expect(res.json).toEqual({ error: 'invalid_grant', error_description: 'bad token' });
    const ok = await postForm(sb.env.HH_TOKEN_URL, exchangeForm(code, { client_id: other.clientId, client_secret: other.clientSecret }));
    expect(ok.status).toBe(200);
  });

  it('requires the byte-identical redirect_uri when authorize had one', async () => {
    const sb = await start();
    const redirect = 'http://127.0.0.1:8400/callback/x?lang=RU';
    const code = await getCode(sb, { redirect_uri: redirect });
    const bad = { error: 'invalid_request', error_description: 'bad redirect url' };
    for (const attempt of [undefined, `${redirect}&`, 'http://127.0.0.1:8400/callback/x?lang=ru', DEFAULT_CLIENT.redirectUri]) {
      const form = attempt === undefined ? exchangeForm(code) : exchangeForm(code, { redirect_uri: attempt });
      const res = await postForm(sb.env.HH_TOKEN_URL, form);
      expect(res.status, String(attempt)).toBe(400);
      expect(res.json).toEqual(bad);
    }
    // The failed attempts did not spend the code.
    const ok = await postForm(sb.env.HH_TOKEN_URL, exchangeForm(code, { redirect_uri: redirect }));
    expect(ok.status).toBe(200);
  });

  it('refuses a redirect_uri when authorize had none, even the registered one', async () => {
    const sb = await start();
    const code = await getCode(sb);
    const res = await postForm(sb.env.HH_TOKEN_URL, exchangeForm(code, { redirect_uri: DEFAULT_CLIENT.redirectUri }));
    expect(res.status).toBe(400);
    expect(res.json).toEqual({ error: 'invalid_request', error_description: 'bad redirect url' });
  });

  it('refuses a code older than codeTtl', async () => {
    const sb = await start({ codeTtl: 1 });
    const code = await getCode(sb);
    await sleep(1100);
    const res = await postForm(sb.env.HH_TOKEN_URL, exchangeForm(code));
    expect(res.status).toBe(400);
    expect(res.json).toEqual({ error: 'invalid_grant', error_description: 'code expired' });
  });
});

describe('POST /token: request format', () => {
  it.each([
    ['application/json', JSON.stringify({ grant_type: 'client_credentials' })],
    ['text/plain', 'grant_type=client_credentials'],
  ])('refuses content type %s', async (type, body) => {
    const sb = await start();
    const res = await postForm(sb.env.HH_TOKEN_URL, body, { 'content-type': type });
    expect(res.status).toBe(400);
    expect(res.json.errors).toEqual([{ type: 'bad_request' }]);
  });

  it('accepts a charset parameter on the form content type', async () => {
    const sb = await start();
    const form = new URLSearchParams(exchangeForm(await getCode(sb))).toString();
    const res = await postForm(sb.env.HH_TOKEN_URL, form, { 'content-type': 'application/x-www-form-urlencoded; charset=UTF-8' });
    expect(res.status).toBe(200);
  });

  it.each([['password'], ['']])('answers unsupported_grant_type for grant_type=%j', async (grant) => {
    const sb = await start();
    const res = await postForm(sb.env.HH_TOKEN_URL, { grant_type: grant, client_id: DEFAULT_CLIENT.clientId });
    expect(res.status).toBe(400);
    expect(res.json).toEqual({ error: 'unsupported_grant_type', error_description: 'unsupported grant_type' });
  });

  it('refuses a repeated parameter', async () => {
    const sb = await start();
    const form = `${new URLSearchParams(exchangeForm(await getCode(sb)))}&code=OTHER`;
    const res = await postForm(sb.env.HH_TOKEN_URL, form);
    expect(res.status).toBe(400);
    expect(res.json.errors).toEqual([{ type: 'bad_argument', value: 'code', reason: 'too_many_arguments' }]);
    expect(sb.stats().exchanged).toBe(0);
  });

  it.each([
    [{ 'user-agent': '' }, 'unset', 'no User-Agent at all'],
    [{ 'user-agent': '   ' }, 'unset', 'a blank User-Agent'],
    [{}, 'blacklisted', "Node fetch's default (it sends one)"],
    [{ 'user-agent': 'node' }, 'blacklisted', "Node fetch's default"],
    [{ 'user-agent': 'undici' }, 'blacklisted', "undici's default"],
    [{ 'user-agent': 'MyApp/1.0 (my-app-feedback@example.com)' }, 'blacklisted', "the docs' placeholder"],
    [{ 'user-agent': USER_AGENT, 'hh-user-agent': 'node' }, 'blacklisted', 'HH-User-Agent wins over a good User-Agent'],
  ])('answers 400 bad_user_agent with %j: %s (%s)', async (headers, value, _why) => {
    const sb = await start();
    const res = await readAnswer(
      await fetch(sb.env.HH_TOKEN_URL, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
        body: new URLSearchParams(exchangeForm(await getCode(sb))).toString(),
      }),
    );
    expect(res.status).toBe(400);
    expect(res.json.errors).toEqual([{ type: 'bad_user_agent', value }]);
    expect(res.json.description).toBeUndefined();
    expect(res.headers.get('x-request-id')).toBe(res.json.request_id);
    expect(sb.stats().grants.authorization_code).toBe(0);
  });

  it('accepts a good HH-User-Agent over a blacklisted User-Agent', async () => {
    const sb = await start();
    const res = await postForm(sb.env.HH_TOKEN_URL, exchangeForm(await getCode(sb)), {
      'user-agent': 'node',
      'hh-user-agent': USER_AGENT,
    });
    expect(res.status).toBe(200);
  });
});

describe('POST /token, grant_type=refresh_token', () => {
  it('refuses a refresh while the access token is valid, without spending it', async () => {
    const sb = await start({ expiresIn: 1 });
    const pair = await userPair(sb);
    const early = await postForm(sb.env.HH_TOKEN_URL, refreshForm(pair.refresh_token));
    expect(early.status).toBe(400);
    expect(early.json).toEqual({ error: 'invalid_grant', error_description: 'token not expired' });
    await sleep(1100);
    const later = await postForm(sb.env.HH_TOKEN_URL, refreshForm(pair.refresh_token));
    expect(later.status).toBe(200);
  });

  it('after expiry issues a new pair once and retires the old one', async () => {
    const sb = await start({ expiresIn: 1 });
    const pair = await userPair(sb);
    await sleep(1100);
    const res = await postForm(sb.env.HH_TOKEN_URL, refreshForm(pair.refresh_token));
    expect(res.status).toBe(200);
    expect(Object.keys(res.json).sort()).toEqual(['access_token', 'expires_in', 'refresh_token', 'token_type']);
    expect(res.json).toMatchObject({ token_type: 'bearer', expires_in: 1 });
    expect(res.json.access_token).not.toBe(pair.access_token);
    expect(res.json.refresh_token).not.toBe(pair.refresh_token);
    expect(sb.stats()).toMatchObject({ refreshed: 1, grants: { refresh_token: 1 } });

    const again = await postForm(sb.env.HH_TOKEN_URL, refreshForm(pair.refresh_token));
    expect(again.status).toBe(400);
    expect(again.json).toEqual({ error: 'invalid_grant', error_description: 'token has already been refreshed' });

    const oldMe = await getMe(sb, pair.access_token);
    expect(oldMe.status).toBe(403);
    expect(oldMe.json.errors).toEqual([{ type: 'oauth', value: 'token_revoked' }]);
    expect((await getMe(sb, res.json.access_token)).status).toBe(200);
    expect(sb.stats().refreshed).toBe(1);
  });

  it('refuses a refresh token that was revoked', async () => {
    const sb = await start();
    const pair = await userPair(sb);
    const del = await fetch(`${sb.url}/oauth/token`, {
      method: 'DELETE',
      headers: { 'user-agent': USER_AGENT, authorization: `Bearer ${pair.access_token}` },
    });
    expect(del.status).toBe(204);
    const res = await postForm(sb.env.HH_TOKEN_URL, refreshForm(pair.refresh_token));
    expect(res.status).toBe(400);
    expect(res.json).toEqual({ error: 'invalid_grant', error_description: 'token was revoked' });
  });

  it.each([['client_id'], ['client_secret'], ['redirect_uri']])('refuses an extra %s field', async (field) => {
    const sb = await start();
    const pair = await userPair(sb);
    const res = await postForm(sb.env.HH_TOKEN_URL, { ...refreshForm(pair.refresh_token), [field]: 'x' });
    expect(res.status).toBe(400);
    expect(res.json.errors).toEqual([{ type: 'bad_argument', value: field }]);
    expect(sb.stats().refreshed).toBe(0);
  });

  it.each([
    [{ grant_type: 'refresh_token', refresh_token: '' }, 'token is empty'],
    [{ grant_type: 'refresh_token' }, 'token is empty'],
    [{ grant_type: 'refresh_token', refresh_token: `USER${'Z'.repeat(60)}` }, 'token not found'],
  ])('answers invalid_request for %j', async (form, description) => {
    const sb = await start();
    const res = await postForm(sb.env.HH_TOKEN_URL, form);
    expect(res.status).toBe(400);
    expect(res.json).toEqual({ error: 'invalid_request', error_description: description });
  });
});

describe('POST /token, grant_type=client_credentials', () => {
  const form = {
    grant_type: 'client_credentials',
    client_id: DEFAULT_CLIENT.clientId,
    client_secret: DEFAULT_CLIENT.clientSecret,
  };

  it('issues an application token without expiry or refresh token', async () => {
    const sb = await start();
    const res = await postForm(sb.env.HH_TOKEN_URL, form);
    expect(res.status).toBe(200);
    expect(Object.keys(res.json).sort()).toEqual(['access_token', 'token_type']);
    expect(res.json.access_token).toMatch(/^APPL[A-Z0-9]{60}$/);
    expect(res.json.token_type).toBe('bearer');
    expect(sb.stats().grants.client_credentials).toBe(1);
  });

  it('refuses a second grant within appTokenMinInterval', async () => {
    const sb = await start();
    expect((await postForm(sb.env.HH_TOKEN_URL, form)).status).toBe(200);
    const res = await postForm(sb.env.HH_TOKEN_URL, form);
    expect(res.status).toBe(403);
    // The error reference's RFC body; the request id is in the header only.
    expect(res.json).toEqual({ error: 'forbidden', error_description: 'app token refresh too early' });
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f]{32}$/);
  });

  it('replaces the previous application token after the interval', async () => {
    const sb = await start({ appTokenMinInterval: 0 });
    const first = (await postForm(sb.env.HH_TOKEN_URL, form)).json.access_token as string;
    const second = (await postForm(sb.env.HH_TOKEN_URL, form)).json.access_token as string;
    expect(second).not.toBe(first);
    const old = await getMe(sb, first);
    expect(old.status).toBe(403);
    expect(old.json.errors).toEqual([{ type: 'oauth', value: 'token_revoked' }]);
    expect((await getMe(sb, second)).status).toBe(200);
  });

  it('answers invalid_client for a wrong secret', async () => {
    const sb = await start();
    const res = await postForm(sb.env.HH_TOKEN_URL, { ...form, client_secret: 'nope' });
    expect(res.status).toBe(400);
    expect(res.json).toEqual({ error: 'invalid_client', error_description: 'client_id or client_secret not found' });
  });
});
