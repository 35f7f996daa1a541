import { readFileSync } from 'node:fs';
import type { HTTPRequest, Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  artifactPath,
  CHROMIUM,
  findTool,
  freePort,
  type HeadlessBrowser,
  type LiveCli,
  type RunningNginx,
  skipUnless,
  startCallbackProxy,
  startChromium,
  startCli,
  tokenPosts,
  useHarness,
} from '../helpers';

/**
 * `hh-oauth login`'s pages in a real browser: headless Chromium opens the sandbox's
 * authorize page, follows hh.ru's redirect to a real nginx running the site config
 * `install-units` renders, which proxies /callback to the login listener. What the
 * operator's browser is left with (the page, its address, its history) must never hold
 * the authorization code or a token: a code in the address bar outlives the login in the
 * history, in synced tabs and in screenshots.
 *
 * One browser for the whole file. nginx is restarted for each scenario, so its per-client
 * limit_req (6/min, burst 5) starts empty: every request here comes from 127.0.0.1.
 */
const NGINX_PORT = await freePort();
const LISTEN_PORT = await freePort();
const LISTEN = `127.0.0.1:${LISTEN_PORT}`;
const REDIRECT = `http://127.0.0.1:${NGINX_PORT}/callback`;

const h = useHarness({}, { redirectUri: REDIRECT });
const skip =
  skipUnless(findTool('nginx') !== undefined, 'nginx is not installed (apt-get install nginx-light)') ||
  skipUnless(CHROMIUM !== undefined, 'chromium is not installed (apt-get install chromium)');

let chromium: HeadlessBrowser | undefined;
let nginx: RunningNginx | undefined;
beforeAll(async () => {
  if (!skip) chromium = await startChromium();
}, 60_000);
afterAll(async () => {
  await nginx?.stop();
  await chromium?.close();
});

async function freshNginx(): Promise<void> {
  await nginx?.stop();
  nginx = await startCallbackProxy({ listenPort: NGINX_PORT, upstream: LISTEN });
}

function startLogin(args: string[] = []): LiveCli {
  return startCli(['login', '--listen', LISTEN, '--timeout', '30s', '--no-open', ...args], h.env());
}

async function printedAuthorizeUrl(login: LiveCli): Promise<string> {
  const [, url] = await login.waitFor(/^\s*(http:\/\/\S+\/oauth\/authorize\?\S+)$/m);
  await login.waitFor(/waiting for hh\.ru/);
  return url!;
}

/** Everything the browser showed and kept of one visit. */
interface Visit {
  status: number | undefined;
  /** location.href once the page loaded. */
  url: string;
  title: string;
  text: string;
  html: string;
  historyLength: number;
  /** The URL of every same-origin session history entry (the Navigation API). */
  entries: string[];
  /** Every URL the main frame committed to (framenavigated). */
  navigations: string[];
  /** The navigation timing entry's URL. */
  timing: string[];
  /** Every URL the main frame requested on the way, redirects included. */
  requested: string[];
  screenshot: string;
}

/** Read inside the page (a string: the project's TypeScript has no DOM types). */
const READ_PAGE = `({
  url: location.href,
  title: document.title,
  text: document.body.innerText,
  html: document.documentElement.outerHTML,
  historyLength: history.length,
  entries: navigation.entries().map((e) => e.url ?? '(another origin)'),
  timing: performance.getEntriesByType('navigation').map((e) => e.name),
})`;

/** A new tab opens `url`, follows the redirects, and is read and photographed once the page has loaded. */
async function visit(url: string, name: string): Promise<Visit> {
  const page: Page = await chromium!.browser.newPage();
  try {
    const navigations: string[] = [];
    const requested: string[] = [];
    page.on('framenavigated', (frame) => void (frame === page.mainFrame() && navigations.push(frame.url())));
    page.on('request', (req: HTTPRequest) => void (req.isNavigationRequest() && req.frame() === page.mainFrame() && requested.push(req.url())));
    const response = await page.goto(url, { waitUntil: 'load', timeout: 20_000 });
    const seen = (await page.evaluate(READ_PAGE)) as Omit<Visit, 'status' | 'navigations' | 'requested' | 'screenshot'>;
    const screenshot = artifactPath(`login-${name}.png`);
    await page.screenshot({ path: screenshot, fullPage: true });
    console.log(`screenshot of the ${name} page: ${screenshot}`);
    return { status: response?.status(), navigations, requested, screenshot, ...seen };
  } finally {
    await page.close();
  }
}

/** The authorization code in the callback the browser was sent to, proving the check below is not vacuous. */
function codeInChain(v: Visit): string {
  const callback = v.requested.find((u) => new URL(u).searchParams.has('code'));
  expect(callback, `the browser never requested a callback with a code: ${v.requested.join(' ')}`).toBeDefined();
  return new URL(callback!).searchParams.get('code')!;
}

/**
 * What stays in the browser: the page, its address, its history. None of it may hold a
 * code, a token or the state, and the address is the callback path with nothing of hh.ru's
 * query left.
 */
function expectClean(v: Visit, outcome: string, secrets: string[]): void {
  expect(v.url).toBe(`${REDIRECT}?hh_oauth=${outcome}`);
  const kept = { url: v.url, html: v.html, text: v.text, entries: v.entries, navigations: v.navigations, timing: v.timing };
  for (const secret of secrets) expect(JSON.stringify(kept), `a secret stayed in the browser`).not.toContain(secret);
  for (const address of [v.url, ...v.entries, ...v.navigations, ...v.timing]) {
    const u = new URL(address);
    expect(`${u.origin}${u.pathname}`).toBe(REDIRECT);
    for (const name of ['code', 'state', 'error', 'error_description']) expect(u.searchParams.has(name), `${name} in ${address}`).toBe(false);
  }
  // A new tab (about:blank) and this one page: the redirects replaced each other.
  expect(v.historyLength).toBe(2);
  expect(v.entries).toEqual([v.url]);
  expect(v.html).not.toMatch(/<script/i);
}

describe.skipIf(skip)('the login pages in a real browser, through the real nginx config', () => {
  let firstAuthorizeUrl = '';

  it('success: "Done" at a clean address; no code or token in the page, the address or the history', async () => {
    await freshNginx();
    const before = tokenPosts(h);
    const login = startLogin();
    firstAuthorizeUrl = await printedAuthorizeUrl(login);
    const v = await visit(firstAuthorizeUrl, 'stored');
    const out = await login.done;
    expect(out.code, out.stderr).toBe(0);
    expect(tokenPosts(h)).toBe(before + 1);

    expect(v.status).toBe(200);
    expect(v.title).toBe('hh-oauth: Done');
    expect(v.text).toContain('hh-oauth received the authorization and stored the token. You can close this tab.');
    const code = codeInChain(v);
    const pair = JSON.parse(readFileSync(h.tokenFile, 'utf8'));
    expectClean(v, 'stored', [code, pair.access_token, pair.refresh_token, new URL(firstAuthorizeUrl).searchParams.get('state')!, ...h.sandbox.issued()]);
  });

  it('denied at hh.ru: "Access not granted" at a clean address; nothing stored, exit 4', async () => {
    await freshNginx();
    h.sandbox.setDecision('deny');
    try {
      const before = tokenPosts(h);
      const login = startLogin(['--no-probe']);
      const url = await printedAuthorizeUrl(login);
      const v = await visit(url, 'denied');
      const out = await login.done;
      expect(out.code).toBe(4);
      expect(tokenPosts(h)).toBe(before);

      expect(v.requested.some((u) => new URL(u).searchParams.get('error') === 'access_denied')).toBe(true);
      expect(v.status).toBe(403);
      expect(v.title).toBe('hh-oauth: Access not granted');
      expect(v.text).toContain('Access was refused at hh.ru, so no token was issued and nothing was stored.');
      expectClean(v, 'denied', [new URL(url).searchParams.get('state')!, ...h.sandbox.issued()]);
    } finally {
      h.sandbox.setDecision('approve');
    }
  });

  it('an old link (another login\'s state): "Unknown authorization" at a clean address; its fresh code is never sent, the login goes on', async () => {
    await freshNginx();
    const before = tokenPosts(h);
    const login = startLogin(['--no-probe']);
    await printedAuthorizeUrl(login);
    // The first login's link: hh.ru issues a real code, with a state this login never made.
    const v = await visit(firstAuthorizeUrl, 'unknown-authorization');
    await login.waitFor(/refused a callback with a wrong state/);
    expect(tokenPosts(h)).toBe(before);
    login.child.kill('SIGINT');
    expect((await login.done).code).toBe(130);

    expect(v.status).toBe(400);
    expect(v.title).toBe('hh-oauth: Unknown authorization');
    expect(v.text).toContain('This link does not belong to the login in progress');
    expectClean(v, 'unknown', [codeInChain(v), new URL(firstAuthorizeUrl).searchParams.get('state')!, ...h.sandbox.issued()]);
  });

  it('a code hh.ru says has expired: "Not stored" at a clean address; exit 4', async () => {
    await freshNginx();
    h.sandbox.fault({ kind: 'answer', documented: 'invalid_grant/code expired', path: '/token' });
    const login = startLogin(['--no-probe']);
    const url = await printedAuthorizeUrl(login);
    const v = await visit(url, 'not-stored');
    const out = await login.done;
    expect(out.code).toBe(4);
    expect(out.stderr).toContain('this authorization code has expired');

    expect(v.status).toBe(500);
    expect(v.title).toBe('hh-oauth: Not stored');
    expect(v.text).toContain('the token could not be obtained or stored');
    expectClean(v, 'not-stored', [codeInChain(v), new URL(url).searchParams.get('state')!, ...h.sandbox.issued()]);
  });
});
