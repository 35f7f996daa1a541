import { connect } from 'node:net';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { startCallbackListener, type CallbackListener, type Limits } from '../../../src/login/listener';
import { pages, renderPage } from '../../../src/login/pages';
import { parseDuration, parseListen } from '../../../src/login/options';
import { diagnoseResponse } from '../../../src/login/probe';
import { diagnoseNetworkError } from '../../../src/login/request-failure';

/** The login listener in-process, on a kernel-chosen port: the limits and refusals a public URL needs. */
const STATE = 'a'.repeat(32);
let current: CallbackListener | undefined;
afterEach(async () => {
  await current?.close();
  current = undefined;
});

/** The cookie the start link gave "the browser": what every callback here carries (`fetch(url, opened)`). */
let opened: { headers: { cookie: string } };

async function listener(limits: Partial<Limits> = {}): Promise<{ l: CallbackListener; base: string }> {
  current = await startCallbackListener({ host: '127.0.0.1', port: 0, path: '/callback', state: STATE, authorizeUrl: 'https://hh.example/oauth/authorize', limits });
  const base = `http://127.0.0.1:${current.address.port}`;
  const start = await fetch(`${base}/callback?${current.startQuery}`, { redirect: 'manual' });
  opened = { headers: { cookie: start.headers.get('set-cookie')!.split(';')[0]! } };
  return { l: current, base };
}

/** As a browser that opened the start link follows the listener's 303: to its Location, with the cookies it has. */
async function follow(url: string, extra: Record<string, string> = {}): Promise<Response> {
  const first = await fetch(url, { redirect: 'manual', headers: { ...opened.headers, ...extra } });
  const location = first.headers.get('location');
  if (first.status !== 303 || !location) return first;
  const cookie = first.headers.get('set-cookie')?.split(';')[0];
  return fetch(new URL(location, url), { headers: cookie ? { cookie } : {} });
}

/** Sends raw bytes, returns whatever came back once the server closed the connection. */
function raw(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let got = '';
    socket.on('data', (d) => (got += d));
    socket.on('close', () => resolve(got));
    socket.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNRESET' ? resolve(got) : reject(err)));
    socket.write(bytes);
  });
}

describe('the callback listener: one callback with the right state, and the limits and refusals a public URL needs', () => {
  it('hands over the first callback with the right state, answers 409 while it is completed, 410 after, and refuses connections once closed', async () => {
    const { l, base } = await listener();
    const first = follow(`${base}/callback?code=REALCODE&state=${STATE}`);
    const callback = await l.callback;
    expect(callback).toMatchObject({ kind: 'code', code: 'REALCODE', arrival: { viaProxy: false } });

    expect((await fetch(`${base}/callback?code=OTHER&state=${STATE}`, opened)).status).toBe(409);
    await l.finish('stored');
    const page = await first;
    expect(page.status).toBe(200);
    expect(await page.text()).not.toContain('REALCODE');

    const again = await fetch(`${base}/callback?code=REALCODE&state=${STATE}`, opened);
    expect(again.status).toBe(410);
    await l.close();
    await expect(fetch(`${base}/callback?code=REALCODE&state=${STATE}`)).rejects.toThrow();
  });

  it('never answers a callback at its own address: 303 to ?hh_oauth=OUTCOME on the same path, where the page is', async () => {
    const { l, base } = await listener();
    const manual = (query: string) => fetch(`${base}/callback?${query}`, { redirect: 'manual', ...opened });
    const first = manual(`code=REALCODE&state=${STATE}`);
    await l.callback;
    const busy = await manual(`code=OTHER&state=${STATE}`);
    expect([busy.status, busy.headers.get('location')]).toEqual([303, '/callback?hh_oauth=busy']);
    // The login's own outcome is not served before it has one.
    expect((await manual('hh_oauth=stored')).status).toBe(404);

    await l.finish('stored');
    const sent = await first;
    expect([sent.status, sent.headers.get('location'), sent.headers.get('cache-control')]).toEqual([303, '/callback?hh_oauth=stored', 'no-store']);
    expect(await sent.text()).toBe('');
    let shown = false;
    const waiting = l.outcomeShown().then(() => (shown = true));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(shown).toBe(false);
    const viewer = { headers: { cookie: sent.headers.get('set-cookie')!.split(';')[0]! } };
    const page = await fetch(`${base}/callback?hh_oauth=stored`, viewer);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('stored the token');
    await waiting;

    // Reloading it is harmless; another login outcome is not this one's; a code beside it is never looked at.
    expect((await fetch(`${base}/callback?hh_oauth=stored`, viewer)).status).toBe(200);
    expect((await manual('hh_oauth=denied')).status).toBe(404);
    expect((await manual('hh_oauth=constructor')).status).toBe(404);
    expect((await manual('hh_oauth=stored&hh_oauth=stored')).status).toBe(404);
    expect((await manual(`hh_oauth=unknown&code=X&state=${STATE}`)).status).toBe(400);
    const late = await manual(`code=REALCODE&state=${STATE}`);
    expect([late.status, late.headers.get('location')]).toEqual([303, '/callback?hh_oauth=finished']);
    expect((await manual('hh_oauth=finished')).status).toBe(410);
  });

  it('a wrong state is sent on to ?hh_oauth=unknown, still counted; outcomeShown gives up after outcomeWaitMs', async () => {
    const { l, base } = await listener({ outcomeWaitMs: 100 });
    const wrong = await fetch(`${base}/callback?code=X&state=wrong`, { redirect: 'manual' });
    expect([wrong.status, wrong.headers.get('location')]).toEqual([303, '/callback?hh_oauth=unknown']);
    expect(l.refusedStates()).toBe(1);
    const page = await fetch(`${base}/callback?hh_oauth=unknown`);
    expect(page.status).toBe(400);
    expect(await page.text()).toContain('does not belong to the login in progress');
    // Nothing finished yet: nothing to wait for.
    await l.outcomeShown();

    const pending = fetch(`${base}/callback?code=GOOD&state=${STATE}`, { redirect: 'manual', ...opened });
    await l.callback;
    await l.finish('denied');
    expect((await pending).headers.get('location')).toBe('/callback?hh_oauth=denied');
    const started = Date.now();
    await l.outcomeShown();
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
  });

  it('refuses wrong, missing and repeated states with 400 and keeps counting them', async () => {
    const { l, base } = await listener();
    for (const query of ['code=X&state=wrong', 'code=X', `code=X&state=${STATE}&state=${STATE}`, `code=X&state=${STATE}x`]) {
      expect((await fetch(`${base}/callback?${query}`)).status, query).toBe(400);
    }
    expect(l.refusedStates()).toBe(4);
  });

  it('with the right state, a malformed code or repeated code is refused (at ?hh_oauth=malformed) and the listener keeps waiting', async () => {
    const { l, base } = await listener();
    for (const query of [`code=${encodeURIComponent('a b')}`, 'code=A&code=B', '']) {
      const page = await follow(`${base}/callback?${query}&state=${STATE}`);
      expect([page.status, page.url], query).toEqual([400, `${base}/callback?hh_oauth=malformed`]);
    }
    const pending = follow(`${base}/callback?code=GOOD&state=${STATE}`);
    expect(await l.callback).toMatchObject({ kind: 'code', code: 'GOOD' });
    await l.finish('stored');
    expect((await pending).status).toBe(200);
  });

  it('reads X-Forwarded-* from a proxy, and refuses to repeat header values it cannot print', async () => {
    const { l, base } = await listener();
    const pending = follow(`${base}/callback?code=C&state=${STATE}`, { 'x-forwarded-proto': 'https', 'x-forwarded-for': '203.0.113.9, 127.0.0.1', 'x-forwarded-host': 'evil<script>' });
    const callback = await l.callback;
    expect(callback.arrival).toEqual({ remote: '127.0.0.1', viaProxy: true, forwardedProto: 'https', forwardedFor: '203.0.113.9, 127.0.0.1', forwardedHost: '(unprintable)' });
    await l.finish('stored');
    await pending;
  });

  it('a probe nonce is accepted once, only after it was armed', async () => {
    const { l, base } = await listener();
    expect((await fetch(`${base}/callback?hh_oauth_probe=n1`)).status).toBe(400);
    l.armProbe('n1');
    const ok = await fetch(`${base}/callback?hh_oauth_probe=n1`, { headers: { 'x-forwarded-proto': 'https' } });
    expect(ok.status).toBe(200);
    expect(l.probeArrival('n1')).toMatchObject({ forwardedProto: 'https', viaProxy: true });
    expect((await fetch(`${base}/callback?hh_oauth_probe=n1`)).status).toBe(400);
  });

  it('drops a client that trickles its headers (slowloris), even though it is never idle', async () => {
    const { l } = await listener({ headersTimeoutMs: 300, requestTimeoutMs: 300, idleTimeoutMs: 60_000 });
    const socket = connect(l.address.port, '127.0.0.1');
    let answer = '';
    socket.on('data', (d) => (answer += d));
    socket.on('error', () => undefined);
    socket.write('GET /callback?state=x HTTP/1.1\r\nHost: a\r\n');
    const trickle = setInterval(() => socket.write('X-A: b\r\n'), 50);
    await new Promise((resolve) => socket.on('close', resolve));
    clearInterval(trickle);
    expect(answer === '' || answer.startsWith('HTTP/1.1 408')).toBe(true);
  });

  it('drops a connection that sends nothing', async () => {
    const { l } = await listener({ idleTimeoutMs: 200 });
    expect(await raw(l.address.port, '')).toBe('');
  });

  it('answers 431 to oversized headers, 414 to an over-long URL, 413 to a GET with a body', async () => {
    const { l, base } = await listener();
    const big = await raw(l.address.port, `GET /callback HTTP/1.1\r\nHost: a\r\nX-Big: ${'b'.repeat(16 * 1024)}\r\n\r\n`);
    expect(big).toMatch(/^HTTP\/1\.1 431/);
    expect((await fetch(`${base}/callback?state=${'s'.repeat(5000)}`)).status).toBe(414);
    const withBody = await raw(l.address.port, 'GET /callback?code=X HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello');
    expect(withBody).toMatch(/^HTTP\/1\.1 413/);
    expect(l.refusedStates()).toBe(0);
  });

  it('never reflects a query value, whatever it holds (property)', async () => {
    const { base } = await listener();
    await fc.assert(
      fc.asyncProperty(fc.string({ minLength: 1, maxLength: 40 }), fc.constantFrom('code', 'state', 'error', 'error_description', 'x'), async (text, name) => {
        const value = `ZQX${text}`;
        const res = await fetch(`${base}/callback?${name}=${encodeURIComponent(value)}&state=bad`);
        const body = await res.text();
        expect(body).not.toContain('ZQX');
      }),
      { numRuns: 60 },
    );
  });
});
