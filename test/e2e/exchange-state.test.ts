import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { jsonOut, REDIRECT_URI, useHarness } from '../helpers';

/**
 * What `exchange` accepts as coming from the operator's own authorization (login CSRF),
 * and what a failed exchange leaves of that authorization. Against the sandbox, through
 * the built CLI.
 */
const h = useHarness();
const tokenPosts = () => h.sandbox.requests().filter((r) => r.method === 'POST' && r.path === '/token').length;

/**
 * An attacker's own authorization of the same (public) client id: hh.ru redirects with a
 * code for the attacker's account. The attacker drops `state` before handing the URL over.
 */
async function attackersCallback(): Promise<string> {
  const authorize = new URL(h.sandbox.env.HH_AUTHORIZE_URL!);
  authorize.search = new URLSearchParams({ response_type: 'code', client_id: h.clientId, state: 'attackers-own', redirect_uri: REDIRECT_URI }).toString();
  const response = await fetch(authorize, { redirect: 'manual', headers: { 'User-Agent': 'browser/1.0' } });
  const callback = new URL(response.headers.get('location')!);
  callback.searchParams.delete('state');
  return callback.toString();
}

describe('login CSRF: a callback URL must carry the pending state', () => {
  it('a callback URL without state, while an authorization is pending, is refused (exit 4) and nothing is sent; the real one still works', async () => {
    const real = await h.authorize();
    const forged = await attackersCallback();
    const before = tokenPosts();

    const out = await h.run(['exchange', '-', '--json'], { input: forged });
    expect(out.code, out.stderr).toBe(4);
    const { error } = jsonOut(out);
    expect(error.code).toBe('reauthorize');
    expect(error.message).toMatch(/has no state/);
    expect(error.message).toMatch(/forg/);
    expect(error.message).toContain('nothing was sent to hh.ru');
    expect(error.suggestion).toMatch(/bare code/);
    expect(tokenPosts()).toBe(before);

    // The operator's own callback, pasted afterwards, is not spoiled by the refusal.
    const ok = await h.run(['exchange', '-', '--json'], { input: real });
    expect(ok.code, ok.stderr).toBe(0);
    expect(jsonOut(ok).status).toBe('stored');
  });

  it('a callback URL without state is refused when nothing is pending as well', async () => {
    const forged = await attackersCallback();
    const before = tokenPosts();
    const out = await h.run(['exchange', '-'], { input: forged });
    expect(out.code).toBe(4);
    expect(out.stderr).toMatch(/^error: the callback URL has no state, yet every authorization `hh-oauth authorize-url` starts has one and hh.ru always sends it back: /m);
    expect(tokenPosts()).toBe(before);
  });

  it('--state does not vouch for a callback URL that carries none', async () => {
    const callback = new URL(await h.authorize());
    const state = callback.searchParams.get('state')!;
    const forged = await attackersCallback();
    const before = tokenPosts();
    const out = await h.run(['exchange', '-', '--state', state], { input: forged });
    expect(out.code).toBe(4);
    expect(tokenPosts()).toBe(before);
  });

  it('a bare code is accepted, with a warning that it cannot be checked, when an authorization is pending and --state is not given', async () => {
    const code = new URL(await h.authorize()).searchParams.get('code')!;
    const out = await h.run(['exchange', '-'], { input: code });
    expect(out.code, out.stderr).toBe(0);
    expect(out.stderr).toMatch(/warning: a bare code carries no state/);
    expect(out.stderr).toContain('--state');
  });

  it('a bare code with the right --state is accepted without that warning', async () => {
    const callback = new URL(await h.authorize());
    const out = await h.run(['exchange', '-', '--state', callback.searchParams.get('state')!], { input: callback.searchParams.get('code')! });
    expect(out.code, out.stderr).toBe(0);
    expect(out.stderr).not.toContain('warning');
  });
});

describe('a failed exchange keeps the authorization, unless its code was spent', () => {
  it('after a wrong client secret (hh.ru refused the client, not the code), the same callback works', async () => {
    const callback = await h.authorize();
    const wrong = await h.run(['exchange', '-', '--json'], { input: callback, env: { HH_CLIENT_SECRET: 'wrong-secret-value' } });
    expect(wrong.code).toBe(5);
    expect(jsonOut(wrong).error.hh_error).toBe('invalid_client');
    const again = await h.run(['exchange', '-', '--json'], { input: callback });
    expect(again.code, again.stderr).toBe(0);
  });

  it('after a network failure (nothing answered), the same callback works', async () => {
    const callback = await h.authorize();
    h.sandbox.fault({ kind: 'reset', path: '/token', times: 1 });
    const failed = await h.run(['exchange', '-'], { input: callback });
    expect(failed.code).toBe(6);
    const again = await h.run(['exchange', '-'], { input: callback });
    expect(again.code, again.stderr).toBe(0);
  });

  it('after a success, the same callback is "already used", not "possible forgery", and nothing is sent', async () => {
    const callback = await h.authorize();
    expect((await h.run(['exchange', '-'], { input: callback })).code).toBe(0);
    const before = tokenPosts();
    const again = await h.run(['exchange', '-', '--json'], { input: callback });
    expect(again.code).toBe(4);
    const { error } = jsonOut(again);
    expect(error.message).toMatch(/^this authorization was already used/);
    expect(error.message).not.toMatch(/forgery/);
    expect(error.suggestion).toMatch(/authorize-url/);
    expect(tokenPosts()).toBe(before);
  });

  it('once hh.ru says the code was spent, pasting the callback again is "already used" without asking hh.ru', async () => {
    const callback = await h.authorize();
    const code = new URL(callback).searchParams.get('code')!;
    // The code is spent elsewhere (another config directory knows nothing of this authorization).
    const elsewhere = await h.run(['exchange', '-'], { input: code, env: { HH_CONFIG_DIR: join(h.dir, 'elsewhere') } });
    expect(elsewhere.code, elsewhere.stderr).toBe(0);

    const refused = await h.run(['exchange', '-', '--json'], { input: callback });
    expect(refused.code).toBe(4);
    expect(jsonOut(refused).error.hh_error_description).toBe('code has already been used');

    const before = tokenPosts();
    const again = await h.run(['exchange', '-', '--json'], { input: callback });
    expect(again.code).toBe(4);
    expect(jsonOut(again).error.message).toMatch(/^this authorization was already used/);
    expect(tokenPosts()).toBe(before);
  });
});
