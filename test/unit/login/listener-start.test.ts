import { afterEach, describe, expect, it } from 'vitest';
import { startCallbackListener, type CallbackListener, type Limits } from '../../../src/login/listener';

/**
 * The start link (`/callback?hh_oauth_start=NONCE`) is what `login` prints and hands the
 * browser opener: argv, which every local user reads in /proc/PID/cmdline. It holds no
 * state. Its first fetch gives that browser a cookie and sends it on to hh.ru with the
 * state; a callback is taken only from a browser with the cookie; a second fetch (someone
 * who read the link too) stops the login before any code is exchanged.
 */
const STATE = 'c'.repeat(32);
const AUTHORIZE = `https://hh.example/oauth/authorize?response_type=code&client_id=C&state=${STATE}`;
let current: CallbackListener | undefined;
afterEach(async () => {
  await current?.close();
  current = undefined;
});

async function listener(limits: Partial<Limits> = {}, path = '/callback') {
  current = await startCallbackListener({ host: '127.0.0.1', port: 0, path, state: STATE, authorizeUrl: AUTHORIZE, limits });
  return { l: current, base: `http://127.0.0.1:${current.address.port}` };
}

const manual = (url: string, cookie?: string) => fetch(url, { redirect: 'manual', headers: cookie ? { cookie } : {} });
const cookieOf = (res: Response) => res.headers.get('set-cookie')?.split(';')[0];

describe('the start link: the only way in, once', () => {
  it('its first fetch sets an HttpOnly SameSite=Lax cookie for the callback path and 303s to hh.ru with the state; the link itself holds no state', async () => {
    const { l, base } = await listener();
    expect(l.startQuery).toMatch(/^hh_oauth_start=[0-9a-f]{32}$/);
    expect(l.startQuery).not.toContain(STATE);
    const start = await manual(`${base}/callback?${l.startQuery}`);
    expect([start.status, start.headers.get('location'), start.headers.get('cache-control')]).toEqual([303, AUTHORIZE, 'no-store']);
    const setCookie = start.headers.get('set-cookie')!;
    expect(setCookie).toMatch(/^hh_oauth_login=[0-9a-f]{32}; Path=\/callback; Max-Age=\d+; HttpOnly; SameSite=Lax$/);

    const pending = manual(`${base}/callback?code=GOOD&state=${STATE}`, cookieOf(start));
    expect(await l.callback).toMatchObject({ kind: 'code', code: 'GOOD' });
    await l.finish('stored');
    expect((await pending).headers.get('location')).toBe('/callback?hh_oauth=stored');
  });

  it('with an https redirect URI both cookies are Secure', async () => {
    current = await startCallbackListener({ host: '127.0.0.1', port: 0, path: '/callback', state: STATE, authorizeUrl: AUTHORIZE, secureCookies: true });
    const base = `http://127.0.0.1:${current.address.port}`;
    const start = await manual(`${base}/callback?${current.startQuery}`);
    expect(start.headers.get('set-cookie')).toMatch(/; HttpOnly; SameSite=Lax; Secure$/);
    const pending = manual(`${base}/callback?code=GOOD&state=${STATE}`, cookieOf(start));
    await current.callback;
    await current.finish('stored');
    expect((await pending).headers.get('set-cookie')).toMatch(/^hh_oauth=[0-9a-f]{32}; .*; Secure$/);
  });

  it('a third fetch while the login stops is told the same, not reported as a late one', async () => {
    const late: string[] = [];
    current = await startCallbackListener({ host: '127.0.0.1', port: 0, path: '/callback', state: STATE, authorizeUrl: AUTHORIZE, onReopenedLate: (a) => late.push(a.remote) });
    const base = `http://127.0.0.1:${current.address.port}`;
    await manual(`${base}/callback?${current.startQuery}`);
    expect((await manual(`${base}/callback?${current.startQuery}`)).status).toBe(409);
    expect((await manual(`${base}/callback?${current.startQuery}`)).status).toBe(409);
    expect(late).toEqual([]);
  });

  it('a wrong or repeated start nonce is refused and changes nothing', async () => {
    const { l, base } = await listener();
    expect((await manual(`${base}/callback?hh_oauth_start=${'0'.repeat(32)}`)).status).toBe(404);
    expect((await manual(`${base}/callback?${l.startQuery}&${l.startQuery}`)).status).toBe(404);
    expect((await manual(`${base}/callback?${l.startQuery}`)).status).toBe(303);
  });

  it('a callback with the right state but without the cookie is refused (303, nothing handed over), and the login goes on', async () => {
    const { l, base } = await listener();
    const start = await manual(`${base}/callback?${l.startQuery}`);
    let delivered = false;
    void l.callback.then(() => (delivered = true));
    for (const cookie of [undefined, 'hh_oauth_login=' + 'f'.repeat(32), `hh_oauth=${cookieOf(start)!.split('=')[1]}`]) {
      const bare = await manual(`${base}/callback?code=EVIL&state=${STATE}`, cookie);
      expect([bare.status, bare.headers.get('location')], String(cookie)).toEqual([303, '/callback?hh_oauth=other-browser']);
    }
    const denied = await manual(`${base}/callback?error=access_denied&state=${STATE}`);
    expect(denied.headers.get('location')).toBe('/callback?hh_oauth=other-browser');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(delivered).toBe(false);
    const page = await fetch(`${base}/callback?hh_oauth=other-browser`);
    expect(page.status).toBe(400);
    expect(await page.text()).toContain('was not started in this browser');

    const pending = manual(`${base}/callback?code=GOOD&state=${STATE}`, cookieOf(start));
    expect(await l.callback).toMatchObject({ kind: 'code', code: 'GOOD' });
    await l.finish('stored');
    await pending;
  });

  it('a second fetch of the start link stops the login: the listener reports it, and the second browser is told so', async () => {
    const { l, base } = await listener();
    await manual(`${base}/callback?${l.startQuery}`);
    const second = await manual(`${base}/callback?${l.startQuery}`);
    expect(await l.callback).toMatchObject({ kind: 'reopened', arrival: { remote: '127.0.0.1' } });
    // Told at once, at the dead link's own address: the login may be gone before a redirect is followed.
    expect(second.status).toBe(409);
    expect(await second.text()).toContain('opened twice');
    const page = await fetch(`${base}/callback?hh_oauth=reopened`);
    expect(page.status).toBe(409);
  });

  it('with a grace period, a callback that comes right after the first fetch is held; a second fetch meanwhile stops the login and its code is never handed over', async () => {
    const { l, base } = await listener({ startGraceMs: 400 });
    const start = await manual(`${base}/callback?${l.startQuery}`);
    // A local user who read the link raced the operator's browser and sends a code of their own at once.
    const racer = manual(`${base}/callback?code=THEIRS&state=${STATE}`, cookieOf(start));
    await new Promise((resolve) => setTimeout(resolve, 100));
    await manual(`${base}/callback?${l.startQuery}`);
    const got = await l.callback;
    expect(got.kind).toBe('reopened');
    await l.finish('reopened');
    expect((await racer).headers.get('location')).toBe('/callback?hh_oauth=reopened');
  });

  it('with a grace period and no second fetch, the held callback is handed over once the grace has passed', async () => {
    const { l, base } = await listener({ startGraceMs: 300 });
    const started = Date.now();
    const start = await manual(`${base}/callback?${l.startQuery}`);
    const pending = manual(`${base}/callback?code=GOOD&state=${STATE}`, cookieOf(start));
    expect(await l.callback).toMatchObject({ kind: 'code', code: 'GOOD' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    await l.finish('stored');
    expect((await pending).status).toBe(303);
  });

  it('a second fetch once a code was handed over cannot stop the exchange: it is reported as late, and that browser is told the login finished', async () => {
    const late: string[] = [];
    current = await startCallbackListener({
      host: '127.0.0.1',
      port: 0,
      path: '/callback',
      state: STATE,
      authorizeUrl: AUTHORIZE,
      onReopenedLate: (arrival) => late.push(arrival.remote),
    });
    const base = `http://127.0.0.1:${current.address.port}`;
    const start = await manual(`${base}/callback?${current.startQuery}`);
    const pending = manual(`${base}/callback?code=GOOD&state=${STATE}`, cookieOf(start));
    expect(await current.callback).toMatchObject({ kind: 'code', code: 'GOOD' });
    const again = await manual(`${base}/callback?${current.startQuery}`);
    expect(again.status).toBe(410);
    expect(late).toEqual(['127.0.0.1']);
    await current.finish('stored');
    expect((await pending).headers.get('location')).toBe('/callback?hh_oauth=stored');
  });

  it('without an authorization URL (--check-only) there is no start link', async () => {
    current = await startCallbackListener({ host: '127.0.0.1', port: 0, path: '/callback', state: STATE });
    const res = await manual(`http://127.0.0.1:${current.address.port}/callback?${current.startQuery}`);
    expect(res.status).toBe(404);
  });
});

describe('callbacks with the right state but no usable code (item: never answered at their own address)', () => {
  it.each([
    ['a malformed code', `code=${encodeURIComponent('a b')}`],
    ['a repeated code', 'code=A&code=B'],
    ['no code', ''],
    ['a repeated error', 'error=x&error=y'],
  ])('%s: 303 to ?hh_oauth=malformed, the page there says so, and the login keeps waiting', async (_what, query) => {
    const { l, base } = await listener();
    const start = await manual(`${base}/callback?${l.startQuery}`);
    const res = await manual(`${base}/callback?${query}${query ? '&' : ''}state=${STATE}`, cookieOf(start));
    expect([res.status, res.headers.get('location')]).toEqual([303, '/callback?hh_oauth=malformed']);
    const page = await fetch(`${base}/callback?hh_oauth=malformed`);
    expect(page.status).toBe(400);
    const pending = manual(`${base}/callback?code=GOOD&state=${STATE}`, cookieOf(start));
    expect(await l.callback).toMatchObject({ kind: 'code', code: 'GOOD' });
    await l.finish('stored');
    await pending;
  });
});

describe('the callback path must stay on its origin', () => {
  it.each(['//evil.example/callback', '//'])('a path starting with // (%s) is refused at start: a Location of //host/… would leave the origin', async (path) => {
    await expect(listener({}, path)).rejects.toMatchObject({ code: 'config', message: expect.stringContaining('HH_REDIRECT_URI') });
  });
});
