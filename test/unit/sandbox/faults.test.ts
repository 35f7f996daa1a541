import { describe, expect, it } from 'vitest';
import { DEFAULT_CLIENT, DOCUMENTED_ERRORS, type Sandbox } from '../../../src/sandbox/index';
import { CLIENT_CREDENTIALS, exchangeForm, getCode, postToken, sleep, USER_AGENT, useSandboxes } from '../../helpers';

const start = useSandboxes();

describe('faults', () => {
  it.each([[403], [503]])('html answers an HTML page with status %i', async (status) => {
    const sb = await start();
    sb.fault({ kind: 'html', status });
    const res = await postToken(sb, CLIENT_CREDENTIALS);
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await res.text()).toMatch(/^<!DOCTYPE html>/);
    // The anti-DDoS layer answered, not hh.ru: there is no request id to give support.
    expect(res.headers.get('x-request-id')).toBeNull();
  });

  it('rate-limit answers 429 with Retry-After', async () => {
    const sb = await start();
    sb.fault({ kind: 'rate-limit', retryAfter: 42 });
    const res = await postToken(sb, CLIENT_CREDENTIALS);
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('42');
  });

  it('truncated-json answers 200 JSON that does not parse', async () => {
    const sb = await start();
    sb.fault({ kind: 'truncated-json' });
    const res = await postToken(sb, CLIENT_CREDENTIALS);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const text = await res.text();
    expect(text.startsWith('{"access_token":"USER')).toBe(true);
    expect(() => JSON.parse(text)).toThrow();
  });

  it('missing-access-token answers 200 with a pair lacking access_token', async () => {
    const sb = await start();
    sb.fault({ kind: 'missing-access-token' });
    const res = await postToken(sb, CLIENT_CREDENTIALS);
    expect(res.status).toBe(200);
    const json = (await res.json()) as Record<string, unknown>;
    expect(Object.keys(json).sort()).toEqual(['expires_in', 'refresh_token', 'token_type']);
    expect(json).toMatchObject({ token_type: 'bearer', expires_in: 1209600 });
    expect(sb.issued()).toContain(json.refresh_token);
  });

  it('huge-body streams 8 MiB by default', async () => {
    const sb = await start();
    sb.fault({ kind: 'huge-body' });
    const res = await postToken(sb, CLIENT_CREDENTIALS);
    expect(res.status).toBe(200);
    expect((await res.arrayBuffer()).byteLength).toBe(8 * 1024 * 1024);
  });

  it('huge-body streams the requested number of bytes', async () => {
    const sb = await start();
    sb.fault({ kind: 'huge-body', bytes: 100_000 });
    const res = await postToken(sb, CLIENT_CREDENTIALS);
    const text = await res.text();
    expect(text).toHaveLength(100_000);
    expect(text.startsWith('{"access_token":"')).toBe(true);
  });

  it('unknown-error answers an OAuth error nobody documented', async () => {
    const sb = await start();
    sb.fault({ kind: 'unknown-error' });
    const res = await postToken(sb, CLIENT_CREDENTIALS);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: 'mystery_error', error_description: 'something new' });
  });

  it('reset drops the connection without an answer', async () => {
    const sb = await start();
    sb.fault({ kind: 'reset' });
    await expect(postToken(sb, CLIENT_CREDENTIALS)).rejects.toThrow();
  });

  it('hang never answers, and close() still finishes fast', async () => {
    const sb = await start();
    sb.fault({ kind: 'hang' });
    await expect(postToken(sb, CLIENT_CREDENTIALS, AbortSignal.timeout(300))).rejects.toThrow();
    // A second hung request still open at close time.
    const pending = postToken(sb, CLIENT_CREDENTIALS).catch((e: unknown) => e);
    await sleep(50);
    const began = Date.now();
    await sb.close();
    expect(Date.now() - began).toBeLessThan(1000);
    expect(await pending).toBeInstanceOf(Error);
  });

  it('is applied before processing: a faulted exchange does not spend the code', async () => {
    const sb = await start();
    const code = await getCode(sb);
    sb.fault({ kind: 'html', status: 503 });
    expect((await postToken(sb, exchangeForm(code))).status).toBe(503);
    sb.fault(null);
    expect((await postToken(sb, exchangeForm(code))).status).toBe(200);
    expect(sb.stats().grants.authorization_code).toBe(1);
  });

  it('with times applies to the next N requests, then clears itself', async () => {
    const sb = await start();
    sb.fault({ kind: 'unknown-error', times: 2 });
    expect((await postToken(sb, CLIENT_CREDENTIALS)).status).toBe(400);
    expect((await postToken(sb, CLIENT_CREDENTIALS)).status).toBe(400);
    expect((await postToken(sb, CLIENT_CREDENTIALS)).status).toBe(200);
  });

  it('with path applies only to that path', async () => {
    const sb = await start();
    sb.fault({ kind: 'html', status: 502, path: '/me' });
    expect((await postToken(sb, CLIENT_CREDENTIALS)).status).toBe(200);
    const me = await fetch(`${sb.url}/me`, { headers: { 'user-agent': USER_AGENT } });
    expect(me.status).toBe(502);
  });

  it('without path also hits the authorization page', async () => {
    const sb = await start();
    sb.fault({ kind: 'html', status: 503 });
    const res = await fetch(`${sb.env.HH_AUTHORIZE_URL}?response_type=code&client_id=x`, { redirect: 'manual' });
    expect(res.status).toBe(503);
  });
});

async function refreshablePair(sb: Sandbox): Promise<{ access_token: string; refresh_token: string }> {
  const res = await postToken(sb, exchangeForm(await getCode(sb)));
  expect(res.status).toBe(200);
  return (await res.json()) as { access_token: string; refresh_token: string };
}
const refreshBody = (token: string) => new URLSearchParams({ grant_type: 'refresh_token', refresh_token: token }).toString();
const getMe = (sb: Sandbox, token: string, path = '/me') =>
  fetch(`${sb.url}${path}`, { headers: { 'user-agent': USER_AGENT, authorization: `Bearer ${token}` } });

describe('answer fault', () => {
  it('sends the given status, body and headers verbatim, the header request id following the body', async () => {
    const sb = await start();
    const body = { errors: [{ type: 'oauth', value: 'no_scope' }], request_id: 'abc123' };
    sb.fault({ kind: 'answer', status: 403, body, headers: { 'retry-after': '7' }, path: '/me' });
    const res = await getMe(sb, 'X');
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual(body);
    expect(res.headers.get('x-request-id')).toBe('abc123');
    expect(res.headers.get('retry-after')).toBe('7');
  });

  it('adds nothing to a body (no request_id), yet the header has one; null drops the header', async () => {
    const sb = await start();
    sb.fault({ kind: 'answer', status: 400, body: { error: 'invalid_grant', error_description: 'bad token ' }, times: 1 });
    const first = await postToken(sb, CLIENT_CREDENTIALS);
    expect(await first.json()).toEqual({ error: 'invalid_grant', error_description: 'bad token ' });
    expect(first.headers.get('x-request-id')).toMatch(/^[0-9a-f]{32}$/);
    sb.fault({ kind: 'answer', documented: 'oauth/token_revoked', headers: { 'x-request-id': null }, times: 1 });
    const second = await getMe(sb, 'X');
    expect(((await second.json()) as { request_id: string }).request_id).toMatch(/^[0-9a-f]{32}$/);
    expect(second.headers.get('x-request-id')).toBeNull();
  });

  it.each(Object.keys(DOCUMENTED_ERRORS))('answers the documented error %s, with a fresh request id each time', async (name) => {
    const sb = await start();
    const expected = DOCUMENTED_ERRORS[name]!();
    sb.fault({ kind: 'answer', documented: name });
    const a = await postToken(sb, CLIENT_CREDENTIALS);
    const b = await postToken(sb, CLIENT_CREDENTIALS);
    expect(a.status).toBe(expected.status);
    const [bodyA, bodyB] = (await Promise.all([a.json(), b.json()])) as Array<Record<string, unknown>>;
    const { request_id: idA, ...restA } = bodyA!;
    const { request_id: _idExpected, ...restExpected } = expected.body as Record<string, unknown>;
    expect(restA).toEqual(restExpected);
    if (idA !== undefined) {
      expect(idA).not.toBe(bodyB!.request_id);
      expect(a.headers.get('x-request-id')).toBe(idA);
    }
    expect(sb.stats().grants.client_credentials).toBe(0);
  });
});

describe('lost-answer fault', () => {
  it('spends the refresh token for real, drops the connection, and the retry hears "already refreshed"', async () => {
    const sb = await start({ expiresIn: 1 });
    const pair = await refreshablePair(sb);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    sb.fault({ kind: 'lost-answer', path: '/token', times: 1 });
    const issuedBefore = sb.issued().length;
    await expect(postToken(sb, refreshBody(pair.refresh_token))).rejects.toThrow();
    expect(sb.stats().refreshed).toBe(1);
    expect(sb.issued().length).toBe(issuedBefore + 2); // the new pair exists, and nobody got it
    const retry = await postToken(sb, refreshBody(pair.refresh_token));
    expect(retry.status).toBe(400);
    expect(await retry.json()).toEqual({ error: 'invalid_grant', error_description: 'token has already been refreshed' });
  });

  it('with then: hang keeps the connection open without a byte, after spending the code', async () => {
    const sb = await start();
    const code = await getCode(sb);
    sb.fault({ kind: 'lost-answer', then: 'hang', times: 1 });
    await expect(postToken(sb, exchangeForm(code), AbortSignal.timeout(300))).rejects.toThrow();
    expect(sb.stats().exchanged).toBe(1);
    const again = await postToken(sb, exchangeForm(code));
    expect(await again.json()).toEqual({ error: 'invalid_grant', error_description: 'code has already been used' });
  });
});

describe('token-expired fault', () => {
  it('answers token_expired on /me while the token is valid, and then the refresh is accepted', async () => {
    const sb = await start();
    const pair = await refreshablePair(sb);
    const early = await postToken(sb, refreshBody(pair.refresh_token));
    expect(await early.json()).toMatchObject({ error_description: 'token not expired' });
    sb.fault({ kind: 'token-expired', path: '/me', times: 1 });
    const me = await getMe(sb, pair.access_token);
    expect(me.status).toBe(403);
    const body = (await me.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ errors: [{ type: 'oauth', value: 'token_expired' }], oauth_error: 'token-expired' });
    expect(me.headers.get('x-request-id')).toBe(body.request_id);
    expect((await getMe(sb, pair.access_token)).status).toBe(403); // expired for good now, fault or not
    const refresh = await postToken(sb, refreshBody(pair.refresh_token));
    expect(refresh.status).toBe(200);
  });

  it('answers on any API path, even one the sandbox does not serve', async () => {
    const sb = await start();
    const pair = await refreshablePair(sb);
    sb.fault({ kind: 'token-expired', path: '/vacancies/mine' });
    const res = await getMe(sb, pair.access_token, '/vacancies/mine');
    expect(res.status).toBe(403);
    expect(((await res.json()) as { errors: unknown }).errors).toEqual([{ type: 'oauth', value: 'token_expired' }]);
  });
});

describe('admin routes over HTTP', () => {
  const adminCall = (sb: Sandbox, path: string, body?: unknown) =>
    fetch(`${sb.url}/_sandbox/${path}`, body === undefined ? {} : { method: 'POST', body: JSON.stringify(body) });

  it('serve stats, and never a secret', async () => {
    const sb = await start();
    await postToken(sb, exchangeForm(await getCode(sb)));
    const res = await adminCall(sb, 'stats');
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(JSON.parse(text)).toEqual(sb.stats());
    expect(JSON.parse(text)).toMatchObject({ exchanged: 1, grants: { authorization_code: 1 } });
    for (const secret of sb.issued()) expect(text).not.toContain(secret);
  });

  it('set and clear a fault, and are not affected by it', async () => {
    const sb = await start();
    expect((await adminCall(sb, 'fault', { kind: 'html', status: 503, path: '/token' })).status).toBe(200);
    expect((await postToken(sb, CLIENT_CREDENTIALS)).status).toBe(503);
    expect((await adminCall(sb, 'fault', { kind: 'reset' })).status).toBe(200);
    expect((await adminCall(sb, 'stats')).status).toBe(200);
    expect((await adminCall(sb, 'fault', null)).status).toBe(200);
    expect((await postToken(sb, CLIENT_CREDENTIALS)).status).toBe(200);
  });

  it.each([
    [{ kind: 'bogus' }],
    [{ kind: 'html' }],
    [{ kind: 'rate-limit' }],
    [{ kind: 'reset', times: 0 }],
    [[]],
    [{ kind: 'answer' }],
    [{ kind: 'answer', status: 99 }],
    [{ kind: 'answer', documented: 'oauth/made_up' }],
    [{ kind: 'answer', documented: 'oauth/token_expired', status: 403 }],
    [{ kind: 'answer', status: 403, headers: { 'x-a': 'one\ntwo' } }],
    [{ kind: 'answer', status: 403, headers: { 'bad name': 'x' } }],
    [{ kind: 'answer', status: 403, headers: ['x'] }],
    [{ kind: 'lost-answer', then: 'explode' }],
  ])('refuse a malformed fault %j', async (fault) => {
    const sb = await start();
    expect((await adminCall(sb, 'fault', fault)).status).toBe(400);
    expect((await postToken(sb, CLIENT_CREDENTIALS)).status).toBe(200);
  });

  it('switch the decision', async () => {
    const sb = await start();
    expect((await adminCall(sb, 'decision', { decision: 'deny' })).status).toBe(200);
    const res = await fetch(`${sb.env.HH_AUTHORIZE_URL}?response_type=code&client_id=${DEFAULT_CLIENT.clientId}`, {
      redirect: 'manual',
    });
    expect(res.headers.get('location')).toContain('error=access_denied');
    expect((await adminCall(sb, 'decision', { decision: 'maybe' })).status).toBe(400);
  });
});

describe('introspection', () => {
  it('url and env point at the running server', async () => {
    const sb = await start();
    expect(sb.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(sb.env).toEqual({
      HH_AUTHORIZE_URL: `${sb.url}/oauth/authorize`,
      HH_TOKEN_URL: `${sb.url}/token`,
      HH_API_URL: sb.url,
    });
  });

  it('requests() records method, path, lowercased headers and the raw body, but not admin calls', async () => {
    const sb = await start();
    const body = new URLSearchParams(exchangeForm('SOMECODE')).toString();
    await fetch(sb.env.HH_TOKEN_URL, {
      method: 'POST',
      headers: { 'User-Agent': USER_AGENT, 'Content-Type': 'application/x-www-form-urlencoded', 'X-Custom': 'Yes' },
      body,
    });
    await fetch(`${sb.url}/_sandbox/stats`);
    const recorded = sb.requests();
    expect(recorded).toHaveLength(1);
    expect(recorded[0]).toMatchObject({ method: 'POST', path: '/token', query: '', body });
    expect(recorded[0]?.headers).toMatchObject({ 'user-agent': USER_AGENT, 'x-custom': 'Yes' });
  });

  it('issued() lists client secrets, codes, user and app tokens', async () => {
    const sb = await start();
    const code = await getCode(sb);
    const pair = (await (await postToken(sb, exchangeForm(code))).json()) as Record<string, string>;
    const app = (await (await postToken(sb, CLIENT_CREDENTIALS)).json()) as Record<string, string>;
    const issued = sb.issued();
    for (const secret of [DEFAULT_CLIENT.clientSecret, code, pair.access_token, pair.refresh_token, app.access_token]) {
      expect(issued).toContain(secret);
    }
  });

  it('logs one line per request and never a secret', async () => {
    const lines: string[] = [];
    const sb = await start({ log: (line) => lines.push(line) });
    const code = await getCode(sb);
    const pair = (await (await postToken(sb, exchangeForm(code))).json()) as Record<string, string>;
    await fetch(`${sb.url}/me`, { headers: { 'user-agent': USER_AGENT, authorization: `Bearer ${pair.access_token}` } });
    await sleep(20);
    expect(lines).toEqual(['GET /oauth/authorize 302', 'POST /token 200', 'GET /me 200']);
    for (const secret of sb.issued()) expect(lines.join('\n')).not.toContain(secret);
  });

  it('refuses an oversized chunked body with 413', async () => {
    const sb = await start();
    const chunk = new TextEncoder().encode('a'.repeat(16 * 1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 6) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const res = await fetch(sb.env.HH_TOKEN_URL, {
      method: 'POST',
      headers: { 'user-agent': USER_AGENT, 'content-type': 'application/x-www-form-urlencoded' },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
  });
});
