import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { HTTPRequest, Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  artifactPath,
  CHROMIUM,
  findTool,
  freePort,
  type HeadlessBrowser,
  type LiveCli,
  requires,
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

/** The site's callback log (it keeps only the path, never the query), as the rendered site config names it. */
function callbackLog(): string[] {
  const site = readFileSync(join(nginx!.prefix, 'site.conf'), 'utf8');
  const path = /access_log (\S+) hh_oauth_callback;/.exec(site)![1]!;
  return readFileSync(path, 'utf8').split('\n').filter(Boolean);
}

function startLogin(args: string[] = []): LiveCli {
  return startCli(['login', '--listen', LISTEN, '--timeout', '30s', '--no-open', ...args], h.env());
}

/** The link login prints (and would hand the opener): HH_REDIRECT_URI?hh_oauth_start=NONCE, no state. */
async function printedStartLink(login: LiveCli): Promise<string> {
  const [, link] = await login.waitFor(/^\s*(http:\/\/\S+\?hh_oauth_start=[0-9a-f]{32})$/m);
  await login.waitFor(/waiting for hh\.ru/);
  return link!;
}

/** hh.ru's authorization URL the browser was sent on to, with its state: from the navigation requests. */
function authorizeUrlIn(v: Visit): string {
  const url = v.requested.find((u) => new URL(u).pathname === '/oauth/authorize');
  expect(url, `the browser never reached hh.ru's page: ${v.requested.join(' ')}`).toBeDefined();
  return url!;
}

const stateOf = (authorizeUrl: string) => new URL(authorizeUrl).searchParams.get('state')!;

/** Every command line on this machine, as a second local user reads them (/proc/PID/cmdline), polled until stopped. */
function watchCommandLines(): { seen(): string[]; stop(): string[] } {
  const seen = new Set<string>();
  const read = () => {
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      try {
        const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
        if (argv) seen.add(`${pid} ${argv}`);
      } catch {
        // gone meanwhile
      }
    }
  };
  const timer = setInterval(read, 25);
  read();
  return {
    seen: () => (read(), [...seen]),
    stop: () => {
      clearInterval(timer);
      read();
      return [...seen];
    },
  };
}

/**
 * A desktop whose default browser is headless Chromium (or `exec`, a browser that never
 * comes): the real xdg-open reads XDG_CONFIG_HOME/mimeapps.list and starts this desktop
 * entry with the URL or the HTML file, as it starts Firefox or Chromium on a workstation.
 * The profile directory names its processes. XDG_RUNTIME_DIR is a 0700 directory of ours,
 * as systemd-logind makes it.
 */
function desktopWithChromium(exec?: string): { env: Record<string, string>; profile: string; runtimeDir: string; cleanup(): void } {
  const root = mkdtempSync(join(tmpdir(), 'hh-oauth-desktop-'));
  const profile = join(root, 'profile');
  const runtimeDir = join(root, 'run');
  mkdirSync(runtimeDir, { mode: 0o700 });
  mkdirSync(join(root, 'config'));
  mkdirSync(join(root, 'data', 'applications'), { recursive: true });
  const entry = 'hh-oauth-test-browser.desktop';
  writeFileSync(
    join(root, 'config', 'mimeapps.list'),
    `[Default Applications]\nx-scheme-handler/http=${entry}\nx-scheme-handler/https=${entry}\ntext/html=${entry}\n`,
  );
  const flags = '--headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking --disable-component-update --disable-sync';
  writeFileSync(
    join(root, 'data', 'applications', entry),
    `[Desktop Entry]\nType=Application\nName=headless Chromium\nExec=${exec ?? `${CHROMIUM} ${flags} --user-data-dir=${profile}`} %u\nMimeType=x-scheme-handler/http;x-scheme-handler/https;text/html;\n`,
  );
  return {
    env: { DISPLAY: ':99', XDG_CONFIG_HOME: join(root, 'config'), XDG_DATA_HOME: join(root, 'data'), XDG_RUNTIME_DIR: runtimeDir },
    profile,
    runtimeDir,
    cleanup: () => {
      // The browser xdg-open started, and nothing else: found by its own profile directory.
      for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
        try {
          if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(profile)) process.kill(Number(pid), 'SIGKILL');
        } catch {
          // gone meanwhile
        }
      }
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** The page file login gave xdg-open (its path, from the opener's command line as any local user reads it). */
function pageGivenToOpener(argvs: string[], runtimeDir: string): string {
  // This desktop's opener: an xdg-open of an earlier scenario may still be in /proc on a loaded machine.
  const opener = argvs.find((a) => a.includes('xdg-open') && a.includes(`${runtimeDir}/hh-oauth-login-`) && a.includes('open-login.html'));
  expect(opener, `xdg-open never ran with the login page in ${runtimeDir}: ${argvs.filter((a) => a.includes('xdg-open')).join(' | ')}`).toBeDefined();
  const path = /(\/\S+\/open-login\.html)/.exec(opener!)![1]!;
  expect(path.startsWith(`${runtimeDir}/hh-oauth-login-`), path).toBe(true);
  return path;
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
    const v = await visit(await printedStartLink(login), 'stored');
    firstAuthorizeUrl = authorizeUrlIn(v);
    const out = await login.done;
    expect(out.code, out.stderr).toBe(0);
    expect(tokenPosts(h)).toBe(before + 1);

    expect(v.status).toBe(200);
    expect(v.title).toBe('hh-oauth: Done');
    expect(v.text).toContain('hh-oauth received the authorization and stored the token. You can close this tab.');
    const code = codeInChain(v);
    const pair = JSON.parse(readFileSync(h.tokenFile, 'utf8'));
    expectClean(v, 'stored', [code, pair.access_token, pair.refresh_token, stateOf(firstAuthorizeUrl), ...h.sandbox.issued()]);
  });

  it('denied at hh.ru: "Access not granted" at a clean address; nothing stored, exit 4', async () => {
    await freshNginx();
    h.sandbox.setDecision('deny');
    try {
      const before = tokenPosts(h);
      const login = startLogin(['--no-probe']);
      const v = await visit(await printedStartLink(login), 'denied');
      const out = await login.done;
      expect(out.code).toBe(4);
      expect(tokenPosts(h)).toBe(before);

      expect(v.requested.some((u) => new URL(u).searchParams.get('error') === 'access_denied')).toBe(true);
      expect(v.status).toBe(403);
      expect(v.title).toBe('hh-oauth: Access not granted');
      expect(v.text).toContain('Access was refused at hh.ru, so no token was issued and nothing was stored.');
      expectClean(v, 'denied', [stateOf(authorizeUrlIn(v)), ...h.sandbox.issued()]);
    } finally {
      h.sandbox.setDecision('approve');
    }
  });

  it('an old link (another login\'s state): "Unknown authorization" at a clean address; its fresh code is never sent, the login goes on', async () => {
    await freshNginx();
    const before = tokenPosts(h);
    const login = startLogin(['--no-probe']);
    await printedStartLink(login);
    // The first login's hh.ru page (a bookmark, say): hh.ru issues a real code, with a state this login never made.
    const v = await visit(firstAuthorizeUrl, 'unknown-authorization');
    await login.waitFor(/refused a callback with a wrong state/);
    expect(tokenPosts(h)).toBe(before);
    login.child.kill('SIGINT');
    expect((await login.done).code).toBe(130);

    expect(v.status).toBe(400);
    expect(v.title).toBe('hh-oauth: Unknown authorization');
    expect(v.text).toContain('This link does not belong to the login in progress');
    expectClean(v, 'unknown', [codeInChain(v), stateOf(firstAuthorizeUrl), ...h.sandbox.issued()]);
  });

  it('a code hh.ru says has expired: "Not stored" at a clean address; exit 4', async () => {
    await freshNginx();
    h.sandbox.fault({ kind: 'answer', documented: 'invalid_grant/code expired', path: '/token' });
    const login = startLogin(['--no-probe']);
    const v = await visit(await printedStartLink(login), 'not-stored');
    const out = await login.done;
    expect(out.code).toBe(4);
    expect(out.stderr).toContain('this authorization code has expired');

    expect(v.status).toBe(500);
    expect(v.title).toBe('hh-oauth: Not stored');
    expect(v.text).toContain('the token could not be obtained or stored');
    expectClean(v, 'not-stored', [codeInChain(v), stateOf(authorizeUrlIn(v)), ...h.sandbox.issued()]);
  });

  it('opening the browser: xdg-open gets a private file, never the link; neither the state nor the link\'s nonce is on a command line; the browser logs in; the file is gone', async (ctx) => {
    requires(ctx, 'xdg-open (apt-get install xdg-utils)', findTool('xdg-open') !== undefined);
    await freshNginx();
    const desktop = desktopWithChromium();
    const watch = watchCommandLines();
    try {
      const before = tokenPosts(h);
      const login = startCli(['login', '--listen', LISTEN, '--timeout', '60s', '--no-probe'], h.env(desktop.env), 90_000);
      const link = await printedStartLink(login);
      const out = await login.done;
      const argvs = watch.stop();
      expect(out.code, out.stderr).toBe(0);
      expect(tokenPosts(h)).toBe(before + 1);
      expect(out.stderr).toContain('the login link was opened');
      // The browser followed the file's meta refresh to the link (303), hh.ru's page, the callback (303) and the "Done" page (200).
      expect(callbackLog().filter((l) => /HeadlessChrome/.test(l)).map((l) => /" (\d{3}) /.exec(l)?.[1])).toEqual(['303', '303', '200']);

      // The scan saw the opener and the browser, with the file: the checks below are not vacuous.
      const page = pageGivenToOpener(argvs, desktop.runtimeDir);
      expect(argvs.some((a) => a.includes(desktop.profile) && a.includes(page)), 'the browser with the file').toBe(true);
      const nonce = new URL(link).searchParams.get('hh_oauth_start')!;
      expect(nonce).toMatch(/^[0-9a-f]{32}$/);
      const authorize = h.sandbox.requests().filter((r) => r.path === '/oauth/authorize').at(-1)!;
      const state = new URLSearchParams(authorize.query).get('state')!;
      expect(state).toMatch(/^[0-9a-f]{32}$/);
      // Only this login's: other programs on a shared machine may well have an authorize URL of their own in argv.
      expect(argvs.filter((a) => a.includes(nonce)).map((a) => a.slice(0, 300)), 'the start link on a command line').toEqual([]);
      expect(argvs.filter((a) => a.includes(state)).map((a) => a.slice(0, 300)), 'the state on a command line').toEqual([]);
      expect(argvs.length, 'the scan read other processes too').toBeGreaterThan(3);
      // Removed once the link was fetched: nothing of the login is left in the runtime directory.
      expect(existsSync(page)).toBe(false);
      // (The browser keeps a dconf directory of its own there.)
      expect(readdirSync(desktop.runtimeDir).filter((n) => n.startsWith('hh-oauth'))).toEqual([]);
    } finally {
      watch.stop();
      desktop.cleanup();
    }
  }, 120_000);

  it('an opener whose browser never comes: the link is on no command line while login waits, and Ctrl-C removes the file', async (ctx) => {
    requires(ctx, 'xdg-open (apt-get install xdg-utils)', findTool('xdg-open') !== undefined);
    const desktop = desktopWithChromium('/bin/true');
    const watch = watchCommandLines();
    let login: ReturnType<typeof startCli> | undefined;
    try {
      login = startCli(['login', '--listen', LISTEN, '--timeout', '60s', '--no-probe'], h.env(desktop.env), 90_000);
      const link = await printedStartLink(login);
      // Until xdg-open has been seen running with the page (at most 15 s on a loaded machine), then long enough for it to be gone.
      for (let waited = 0; waited < 15_000 && !watch.seen().some((a) => a.includes('xdg-open') && a.includes(`${desktop.runtimeDir}/hh-oauth-login-`)); waited += 100) {
        await new Promise((r) => setTimeout(r, 100));
      }
      await new Promise((r) => setTimeout(r, 1500));
      const page = pageGivenToOpener(watch.seen(), desktop.runtimeDir);
      const nonce = new URL(link).searchParams.get('hh_oauth_start')!;
      // The file is there while login waits, private, and the only place besides the terminal that holds the link.
      expect(statSync(page).mode & 0o777).toBe(0o600);
      expect(statSync(dirname(page)).mode & 0o777).toBe(0o700);
      expect(readFileSync(page, 'utf8')).toContain(nonce);
      login.child.kill('SIGINT');
      expect((await login.done).code).toBe(130);
      expect(existsSync(page)).toBe(false);
      expect(readdirSync(desktop.runtimeDir)).toEqual([]);
      const argvs = watch.stop();
      expect(argvs.filter((a) => a.includes(nonce)).map((a) => a.slice(0, 300)), 'the start link on a command line').toEqual([]);
    } finally {
      // A failure above must not leave this login holding the listen address for the next scenario.
      if (login && login.child.exitCode === null && login.child.signalCode === null) login.child.kill('SIGKILL');
      watch.stop();
      desktop.cleanup();
    }
  }, 60_000);

  it('the state without the start link\'s cookie gets "Not started in this browser"; the link opened again stops the login, loudly', async () => {
    await freshNginx();
    const before = tokenPosts(h);
    const login = startLogin(['--no-probe']);
    const link = await printedStartLink(login);
    // Someone else opened the link first (it was on a command line): they hold the cookie and learn the state.
    const first = await fetch(link, { redirect: 'manual' });
    expect(first.status).toBe(303);
    const theirAuthorizeUrl = first.headers.get('location')!;

    // A browser without that cookie, with the right state: hh.ru issues a code, the listener refuses it.
    const other = await visit(theirAuthorizeUrl, 'other-browser');
    await login.waitFor(/refused a callback with the right state from a browser that did not open this login's link/);
    expect(tokenPosts(h)).toBe(before);
    expect(other.status).toBe(400);
    expect(other.title).toBe('hh-oauth: Not started in this browser');
    expectClean(other, 'other-browser', [codeInChain(other), stateOf(theirAuthorizeUrl), ...h.sandbox.issued()]);

    // The operator's browser opens the link: the second fetch. Not a silent race: the login stops.
    const again = await visit(link, 'reopened');
    expect(again.status).toBe(409);
    expect(again.title).toBe('hh-oauth: Login stopped');
    expect(again.text).toContain('opened twice');
    const out = await login.done;
    expect(out.code).toBe(4);
    expect(out.stderr).toContain('the login link was opened a second time');
    expect(tokenPosts(h)).toBe(before);
  });
});
