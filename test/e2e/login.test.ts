import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BROWSER_USER_AGENT,
  browserRedirect,
  connectTo,
  findTool,
  freePort,
  type HttpAnswer,
  httpRequest,
  jsonOut,
  lateTokenEndpoint,
  type LiveCli,
  requires,
  runInTty,
  type RunningNginx,
  skipUnless,
  startCallbackProxy,
  startCli,
  tokenPosts,
  useHarness,
} from '../helpers';

/**
 * `hh-oauth login` end to end, the way it runs on the server: the sandbox's authorize
 * page redirects the "browser" to a real nginx on loopback, running the site config
 * `install-units` renders, which proxies /callback to the login listener, which trades
 * the code at the sandbox's token endpoint.
 *
 * That config rate-limits /callback per client address (6/min, burst 5), as it should
 * on the internet; so each "browser" request here comes from its own loopback address.
 */
const NGINX_PORT = await freePort();
const DEAD_NGINX_PORT = await freePort();
const LISTEN_PORT = await freePort();
const DEAD_PORT = await freePort();
const LISTEN = `127.0.0.1:${LISTEN_PORT}`;
const REDIRECT = `http://127.0.0.1:${NGINX_PORT}/callback`;
const DEAD_REDIRECT = `http://127.0.0.1:${DEAD_NGINX_PORT}/callback`;

const h = useHarness({}, { redirectUri: REDIRECT });
const skip = skipUnless(findTool('nginx') !== undefined, 'nginx is not installed (apt-get install nginx-light)');

// Two nginx: one in front of the login listener, one whose upstream is a dead port.
const proxies: RunningNginx[] = [];
beforeAll(async () => {
  if (skip) return;
  proxies.push(await startCallbackProxy({ listenPort: NGINX_PORT, upstream: LISTEN }));
  proxies.push(await startCallbackProxy({ listenPort: DEAD_NGINX_PORT, upstream: `127.0.0.1:${DEAD_PORT}` }));
});
afterAll(async () => {
  for (const nginx of proxies) await nginx.stop();
});

let lastAddress = 1;
/** A browser's request from a fresh loopback address (127.0.0.2, .3, …), so nginx's per-client limit never bites. */
function send(url: string, method = 'GET', headers: Record<string, string> = {}): Promise<HttpAnswer> {
  lastAddress++;
  if (lastAddress > 254) throw new Error('out of loopback addresses');
  return httpRequest(url, { method, headers: { 'user-agent': BROWSER_USER_AGENT, ...headers }, localAddress: `127.0.0.${lastAddress}` });
}

function startLogin(args: string[] = [], env: Record<string, string | undefined> = {}): LiveCli {
  return startCli(['login', '--listen', LISTEN, '--timeout', '20s', ...args], h.env(env));
}

/** Waits until the listener is up and the start link printed: HH_REDIRECT_URI?hh_oauth_start=NONCE, no state. */
async function printedStartLink(login: LiveCli): Promise<string> {
  const [, link] = await login.waitFor(/^\s*(http:\/\/\S+\?hh_oauth_start=[0-9a-f]{32})$/m);
  await login.waitFor(/waiting for hh\.ru/);
  return link!;
}

const cookieOf = (answer: HttpAnswer) => ([] as string[]).concat(answer.headers['set-cookie'] ?? []).map((c) => c.split(';')[0]!);

/** A browser opening the start link: the listener gives it its cookie and sends it on to hh.ru's page, with the state. */
async function openStart(link: string): Promise<{ url: string; state: string; cookie: string }> {
  const start = await send(link);
  expect(start.status, 'the start link').toBe(303);
  const url = start.headers.location as string;
  return { url, state: new URL(url).searchParams.get('state')!, cookie: cookieOf(start).join('; ') };
}

/** The start link, opened: hh.ru's authorization URL with its state, and the cookie a callback must carry. */
async function printedAuthorizeUrl(login: LiveCli): Promise<{ url: string; state: string; cookie: string }> {
  return openStart(await printedStartLink(login));
}

/**
 * A callback as a browser follows it: the listener never answers at the callback's own
 * address but sends the browser on (303) to its outcome page, `sentTo`, with the cookie
 * that shows it the login's own outcome there. `cookie`: the start link's, if this browser opened it.
 */
async function sendOn(url: string, cookie = ''): Promise<HttpAnswer & { sentTo: string }> {
  const first = await send(url, 'GET', cookie ? { cookie } : {});
  expect(first.status, `${first.status} at the callback's address`).toBe(303);
  const sentTo = new URL(first.headers.location as string, url).href;
  const cookies = [...(cookie ? [cookie] : []), ...cookieOf(first)];
  return { sentTo, ...(await send(sentTo, 'GET', cookies.length ? { cookie: cookies.join('; ') } : {})) };
}

/** What a browser does: open the authorization page, follow hh.ru's redirect to the callback, then the listener's. */
async function browse(url: string, cookie: string): Promise<HttpAnswer & { location: string; sentTo: string }> {
  const location = await browserRedirect(url);
  return { location, ...(await sendOn(location, cookie)) };
}

/** Whether nothing listens on the port any more (the login's listener is gone). */
const refused = async (port: number) => (await connectTo(port)) === 'ECONNREFUSED';

describe.skipIf(skip)('hh-oauth login through a real nginx', () => {
  it('authorize → nginx → listener → token endpoint: stores the token, prints the whoami summary, exits 0', async () => {
    const before = h.sandbox.stats().exchanged;
    const login = startLogin();
    const { url, cookie } = await printedAuthorizeUrl(login);
    const page = await browse(url, cookie);
    expect(page.status).toBe(200);
    expect(page.body).toContain('stored the token');
    expect(page.sentTo).toBe(`${REDIRECT}?hh_oauth=stored`);
    const code = new URL(page.location).searchParams.get('code')!;
    expect(page.body).not.toContain(code);

    const out = await login.done;
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout.trim().split('\n')).toHaveLength(1);
    expect(out.stdout).toMatch(/^Ivan Petrov <ivan\.petrov@example\.com> \(employer, Example Sandbox LLC, manager 7000001\); token expires \S+ \(in 13d 23h\)$/m);
    // The automatic probe went through nginx, and so did the redirect.
    expect(out.stderr).toContain(`probe: ${REDIRECT} reaches this listener (${LISTEN}) through a proxy (X-Forwarded-Proto: https`);
    expect(out.stderr).toContain('authorization received (through a proxy, X-Forwarded-Proto: https)');
    expect(out.stderr).not.toMatch(/[█▀▄]/); // no QR code when nobody looks at a terminal

    const file = JSON.parse(readFileSync(h.tokenFile, 'utf8'));
    expect(file).toMatchObject({ access_token: expect.any(String), refresh_token: expect.any(String), expires_in: 1209600 });
    expect(statSync(h.tokenFile).mode & 0o777).toBe(0o600);
    expect(h.sandbox.stats().exchanged).toBe(before + 1);
    const sent = new URLSearchParams(h.sandbox.requests().filter((r) => r.path === '/token').at(-1)!.body);
    expect(sent.get('grant_type')).toBe('authorization_code');
    expect(sent.get('redirect_uri')).toBe(REDIRECT);
    // The listener is gone once the login is over.
    expect(await refused(LISTEN_PORT)).toBe(true);
  });

  it('--json prints one document with the stored token\'s place and the /me body, and the URL only on stderr', async () => {
    const login = startLogin(['--json', '--no-probe']);
    const link = await printedStartLink(login);
    const { url, cookie } = await openStart(link);
    expect((await browse(url, cookie)).status).toBe(200);
    const out = await login.done;
    expect(out.code, out.stderr).toBe(0);
    const doc = jsonOut(out);
    expect(doc).toEqual({
      status: 'stored',
      token_file: h.tokenFile,
      expires_at: expect.any(String),
      redirect_uri: REDIRECT,
      me: expect.objectContaining({ auth_type: 'employer', email: 'ivan.petrov@example.com' }),
    });
    expect(out.stdout).not.toContain('oauth/authorize');
    expect(out.stdout).not.toContain('hh_oauth_start');
    expect(out.stderr).not.toContain(url); // the state is only in the start link's redirect
  });

  it('a forged or missing state gets 400, nothing reaches the token endpoint, and the real callback still succeeds', async () => {
    const login = startLogin(['--no-probe']);
    const { url, cookie } = await printedAuthorizeUrl(login);
    const before = tokenPosts(h);
    const forged = await sendOn(`${REDIRECT}?code=FORGED0CODE&state=0123456789abcdef0123456789abcdef`);
    expect(forged.sentTo).toBe(`${REDIRECT}?hh_oauth=unknown`);
    expect(forged.status).toBe(400);
    expect(forged.body).toContain('does not belong to the login in progress');
    const stateless = await sendOn(`${REDIRECT}?code=FORGED0CODE`);
    expect(stateless.status).toBe(400);
    expect(tokenPosts(h)).toBe(before);
    await login.waitFor(/refused a callback with a missing state/);

    const page = await browse(url, cookie);
    expect(page.status).toBe(200);
    const out = await login.done;
    expect(out.code, out.stderr).toBe(0);
    expect(out.stderr).toContain('refused a callback with a wrong state');
    expect(tokenPosts(h)).toBe(before + 1);
  });

  it('the printed link holds no state; a callback with the right state from a browser that did not open it is refused, as is one without a usable code, and the real one still succeeds', async () => {
    const login = startLogin(['--no-probe']);
    const link = await printedStartLink(login);
    expect(new URL(link).origin + new URL(link).pathname).toBe(REDIRECT);
    const { url, state, cookie } = await openStart(link);
    expect(link).not.toContain(state);
    const before = tokenPosts(h);
    // Someone who learnt the state (but never opened the link) sends a code of their own account.
    const theirs = await sendOn(`${REDIRECT}?code=THEIR0CODE&state=${state}`);
    expect(theirs.sentTo).toBe(`${REDIRECT}?hh_oauth=other-browser`);
    expect(theirs.status).toBe(400);
    expect(theirs.body).toContain('was not started in this browser');
    await login.waitFor(/refused a callback with the right state from a browser that did not open this login's link/);
    // The right browser, but a callback without a usable code: sent on like every other, never answered at its address.
    const malformed = await sendOn(`${REDIRECT}?code=${encodeURIComponent('a b')}&state=${state}`, cookie);
    expect([malformed.sentTo, malformed.status]).toEqual([`${REDIRECT}?hh_oauth=malformed`, 400]);
    expect(tokenPosts(h)).toBe(before);

    expect((await browse(url, cookie)).status).toBe(200);
    const out = await login.done;
    expect(out.code, out.stderr).toBe(0);
    expect(tokenPosts(h)).toBe(before + 1);
  });

  it('the start link opened a second time stops the login, loudly: exit 4, nothing sent to hh.ru, both browsers told', async () => {
    const login = startLogin(['--no-probe']);
    const link = await printedStartLink(login);
    const { url, cookie } = await openStart(link);
    const before = tokenPosts(h);
    const second = await send(link);
    expect(second.status).toBe(409);
    expect(second.body).toContain('opened twice');
    const out = await login.done;
    expect(out.code).toBe(4);
    expect(out.stderr).toContain('the login link was opened a second time');
    expect(out.stderr).toContain('nothing was sent to hh.ru and nothing was stored');
    expect(out.stderr).toContain('--no-open');
    expect(existsSync(h.tokenFile)).toBe(false);
    // The first browser comes back from hh.ru to a listener that is gone (nginx's 502): its code is never exchanged.
    expect((await send(await browserRedirect(url), 'GET', { cookie })).status).toBe(502);
    expect(tokenPosts(h)).toBe(before);
  });

  it('an HH_REDIRECT_URI whose path starts with // is refused before listening (exit 3): the redirect to it would leave the origin', async () => {
    const out = await h.run(['login', '--listen', LISTEN, '--no-probe'], { env: { HH_REDIRECT_URI: `http://127.0.0.1:${NGINX_PORT}//evil.example/callback` } });
    expect(out.code).toBe(3);
    expect(out.stderr).toContain('the path of HH_REDIRECT_URI must start with a single "/"');
    expect(await refused(LISTEN_PORT)).toBe(true);
  });

  it('error=access_denied shows a clear page, stores nothing, sends nothing and exits 4', async () => {
    h.sandbox.setDecision('deny');
    try {
      const before = tokenPosts(h);
      const login = startLogin(['--no-probe']);
      const { url, cookie } = await printedAuthorizeUrl(login);
      const page = await browse(url, cookie);
      expect(new URL(page.location).searchParams.get('error')).toBe('access_denied');
      expect(page.sentTo).toBe(`${REDIRECT}?hh_oauth=denied`);
      expect(page.status).toBe(403);
      expect(page.body).toContain('Access was refused at hh.ru');
      const out = await login.done;
      expect(out.code).toBe(4);
      expect(out.stderr).toContain('access was refused at hh.ru');
      expect(existsSync(h.tokenFile)).toBe(false);
      expect(tokenPosts(h)).toBe(before);
    } finally {
      h.sandbox.setDecision('approve');
    }
  });

  it('--timeout elapsing exits 4 and says what to check; the port is released', async () => {
    const login = startLogin(['--timeout', '1s', '--no-probe']);
    const out = await login.done;
    expect(out.code).toBe(4);
    expect(out.stderr).toContain('no authorization arrived within 1s; nothing was stored');
    expect(out.stderr).toContain(`HH_REDIRECT_URI (${REDIRECT}) is the redirect URI registered at dev.hh.ru`);
    expect(out.stderr).toContain('hh-oauth login --check-only');
    expect(existsSync(h.tokenFile)).toBe(false);
    expect(await refused(LISTEN_PORT)).toBe(true);
  });

  it('a second callback after success is refused and never exchanged', async () => {
    const login = startLogin(['--no-probe']);
    const { url, cookie } = await printedAuthorizeUrl(login);
    const first = await browse(url, cookie);
    expect(first.status).toBe(200);
    expect((await login.done).code).toBe(0);
    const exchanged = h.sandbox.stats().grants.authorization_code;

    // Replayed through nginx: the listener has closed, so nginx has nowhere to send it.
    const replay = await send(first.location);
    expect(replay.status).toBe(502);
    expect(await refused(LISTEN_PORT)).toBe(true);
    expect(h.sandbox.stats().grants.authorization_code).toBe(exchanged);
  });

  it('only GET on the callback path: other methods get 405 (nginx already says 403), other paths 404, and the login goes on', async () => {
    const login = startLogin(['--no-probe']);
    const { url, state, cookie } = await printedAuthorizeUrl(login);
    const before = tokenPosts(h);
    const query = `?code=SOMECODE&state=${state}`;
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
      // Directly at the listener, and through nginx, whose `limit_except GET` stops them first.
      const direct = await send(`http://${LISTEN}/callback${query}`, method);
      expect(direct.status, method).toBe(405);
      expect(direct.headers.allow).toBe('GET');
      expect((await send(`${REDIRECT}${query}`, method)).status, method).toBe(403);
    }
    // nginx lets HEAD through with GET: the listener refuses it.
    expect((await send(`${REDIRECT}${query}`, 'HEAD')).status).toBe(405);
    expect((await send(`http://${LISTEN}/admin${query}`)).status).toBe(404);
    expect((await send(`http://${LISTEN}/callback/${query}`)).status).toBe(404);
    expect(tokenPosts(h)).toBe(before);

    expect((await browse(url, cookie)).status).toBe(200);
    const out = await login.done;
    expect(out.code, out.stderr).toBe(0);
    expect(tokenPosts(h)).toBe(before + 1);
  });

  it('an XSS attempt in query values is never reflected, with the wrong state or the right one', async () => {
    const login = startLogin(['--no-probe']);
    const { state, cookie } = await printedAuthorizeUrl(login);
    const evil = '<script>alert(1)</script>';
    const img = '"><img src=x onerror=alert(2)>';

    const wrong = await sendOn(`${REDIRECT}?code=${encodeURIComponent(evil)}&state=${encodeURIComponent(img)}`);
    expect(wrong.status).toBe(400);
    expect(wrong.headers['content-security-policy']).toContain("default-src 'none'");

    const right = await sendOn(`${REDIRECT}?error=${encodeURIComponent(evil)}&error_description=${encodeURIComponent(img)}&state=${state}`, cookie);
    expect(right.status).toBe(400);
    expect(right.body).toContain('Authorization failed');
    for (const { body } of [wrong, right]) {
      for (const needle of ['<script', 'alert(', '<img', 'onerror', evil, img]) expect(body).not.toContain(needle);
    }
    const out = await login.done;
    expect(out.code).toBe(4);
    expect(out.stderr).toContain('hh.ru redirected back with error "unrecognised"');
    expect(out.stderr + out.stdout).not.toContain('alert(');
  });

  it('--check-only: the probe reaches the listener through nginx and sees X-Forwarded-Proto https', async () => {
    const out = await h.run(['login', '--check-only', '--listen', LISTEN, '--json']);
    expect(out.code, out.stderr).toBe(0);
    expect(jsonOut(out)).toEqual({
      reachable: true,
      redirect_uri: REDIRECT,
      listen: LISTEN,
      status: 200,
      via_proxy: true,
      forwarded_proto: 'https',
      cause: null,
      detail: null,
      warnings: [],
    });
    const human = await h.run(['login', '--check-only', '--listen', LISTEN]);
    expect(human.stdout.trim()).toBe(`reachable: ${REDIRECT} reaches this listener (${LISTEN}) through a proxy (X-Forwarded-Proto: https, X-Forwarded-For: 127.0.0.1)`);
  });

  it('--check-only: nginx pointing at a dead port is diagnosed as the upstream (502), exit 3', async () => {
    const out = await h.run(['login', '--check-only', '--listen', LISTEN, '--json'], { env: { HH_REDIRECT_URI: DEAD_REDIRECT } });
    expect(out.code).toBe(3);
    const { error } = jsonOut(out);
    expect(error.code).toBe('config');
    expect(error.message).toMatch(/^probe failed \(upstream\): .*nginx\/[\d.]+ at 127\.0\.0\.1:\d+ answered HTTP 502/);
    expect(error.suggestion).toContain(`proxy_pass http://${LISTEN};`);
  });

  it('--check-only run again and again trips the callback\'s own limit_req: the probe names the rate limit and when to try again (exit 6)', async () => {
    // An nginx of its own, so its limit (6 a minute, burst 5, per client address) starts empty.
    const port = await freePort();
    const nginx = await startCallbackProxy({ listenPort: port, upstream: LISTEN });
    try {
      const env = { env: { HH_REDIRECT_URI: `http://127.0.0.1:${port}/callback` } };
      const codes: Array<number | null> = [];
      let limited: Awaited<ReturnType<typeof h.run>> | undefined;
      for (let i = 0; i < 8 && !limited; i++) {
        const out = await h.run(['login', '--check-only', '--listen', LISTEN, '--json'], env);
        codes.push(out.code);
        if (out.code !== 0) limited = out;
      }
      // 1 + burst 5 get through; the 7th is refused by nginx, never reaching the listener.
      expect(codes).toEqual([0, 0, 0, 0, 0, 0, 6]);
      const { error } = jsonOut(limited!);
      expect(error.code).toBe('temporary');
      expect(error.message).toMatch(/^probe failed \(rate-limited\): .*nginx\/[\d.]+ answered HTTP 429 for 127\.0\.0\.1:\d+\/callback: its rate limit refused the probe/);
      expect(error.message).not.toContain('another service');
      expect(error.suggestion).toMatch(/^wait 10 s and run `hh-oauth login --check-only` again/);
      expect(error.suggestion).toContain('limit_req');
      expect(error.suggestion).not.toContain('another service');
      const human = await h.run(['login', '--check-only', '--listen', LISTEN], env);
      expect(human.code).toBe(6);
      expect(human.stderr).toContain('hint: wait 10 s and run `hh-oauth login --check-only` again');
    } finally {
      await nginx.stop();
    }
  });

  it.each([
    ['dns', 'http://hh-oauth-probe.invalid/callback', /does not resolve \(DNS, (ENOTFOUND|EAI_AGAIN)\)/],
    ['tls', `https://127.0.0.1:${NGINX_PORT}/callback`, /does not speak TLS/],
    ['refused', `http://127.0.0.1:${DEAD_PORT}/callback`, /nothing listens at http:\/\/127\.0\.0\.1:\d+ \(connection refused\)/],
  ])('--check-only names the cause: %s', async (cause, uri, detail) => {
    const out = await h.run(['login', '--check-only', '--listen', LISTEN], { env: { HH_REDIRECT_URI: uri } });
    expect([3, 6]).toContain(out.code);
    expect(out.stderr).toContain(`probe failed (${cause}):`);
    expect(out.stderr).toMatch(detail);
  });

  it('a failing automatic probe warns, names the cause and still prints the URL', async () => {
    const login = startLogin(['--timeout', '1s'], { HH_REDIRECT_URI: DEAD_REDIRECT });
    const out = await login.done;
    expect(out.code).toBe(4);
    expect(out.stderr).toMatch(/probe: .* answered HTTP 502/);
    expect(out.stderr).toContain('continuing anyway');
    expect(out.stderr).toMatch(/\/callback\?hh_oauth_start=[0-9a-f]{32}/);
  });

  it('under the journal, the failing probe\'s hint is a warning like the probe line it explains (<4>, not <6>)', async () => {
    const out = await startLogin(['--timeout', '1s'], { HH_REDIRECT_URI: DEAD_REDIRECT, JOURNAL_STREAM: '8:123' }).done;
    expect(out.code).toBe(4);
    const lines = out.stderr.split('\n');
    const probe = lines.findIndex((l) => /^<4>probe: .* answered HTTP 502/.test(l));
    expect(probe, out.stderr).toBeGreaterThanOrEqual(0);
    expect(lines[probe + 1]).toMatch(/^<4>hint: \S/);
  });

  it('Ctrl-C closes the listener and exits 130 without a stack trace (and one JSON document with --json)', async () => {
    const login = startLogin(['--no-probe', '--json']);
    await printedAuthorizeUrl(login);
    login.child.kill('SIGINT');
    const out = await login.done;
    expect(out.code).toBe(130);
    expect(jsonOut(out)).toEqual({ error: { code: 'interrupted', message: expect.stringContaining('nothing was stored') } });
    expect(out.stderr).toContain('interrupted (SIGINT)');
    expect(out.stderr).not.toMatch(/\n\s+at /);
    expect(await refused(LISTEN_PORT)).toBe(true);
    expect(existsSync(h.tokenFile)).toBe(false);
  });

  it('a SIGTERM once the code is being exchanged: the pair is stored and the login finishes (page, summary, exit 0), saying so once for the login and once for the store', async () => {
    const late = await lateTokenEndpoint(h.sandbox.env.HH_TOKEN_URL);
    try {
      const login = startLogin(['--no-probe'], { HH_TOKEN_URL: late.url });
      const { url, cookie } = await printedAuthorizeUrl(login);
      void late.spent.then(() => login.child.kill('SIGTERM'));
      const page = await browse(url, cookie);
      const out = await login.done;
      expect(out.signal, out.stderr).toBeNull();
      expect(out.code, out.stderr).toBe(0);
      expect(page.body).toContain('stored the token');
      expect(out.stderr).toContain('SIGTERM received: the code is being exchanged and stored');
      expect(out.stderr).toContain('SIGTERM: storing the token pair in progress first');
      expect(out.stderr.match(/SIGTERM/g)).toHaveLength(2);
      expect(out.stdout).toMatch(/^Ivan Petrov .*token expires/m);
      expect(JSON.parse(readFileSync(h.tokenFile, 'utf8')).refresh_token).toEqual(expect.any(String));
    } finally {
      await late.close();
    }
  });

  it('a busy port is a configuration error (exit 3) that says what to do', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(LISTEN_PORT, '127.0.0.1', resolve));
    try {
      const out = await h.run(['login', '--listen', LISTEN]);
      expect(out.code).toBe(3);
      expect(out.stderr).toContain(`cannot listen on ${LISTEN}: the port is in use`);
      expect(out.stderr).toContain('--listen');
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});

describe('hh-oauth login: arguments and settings', () => {
  // Bad --listen and --timeout values (usage errors): in-process in test/unit/cli/flag-values.test.ts.
  it('without HH_REDIRECT_URI or the client secret it exits 3 before listening', async () => {
    const noUri = await h.run(['login', '--listen', LISTEN], { env: { HH_REDIRECT_URI: undefined } });
    expect(noUri.code).toBe(3);
    expect(noUri.stderr).toContain('HH_REDIRECT_URI is not set');
    const noSecret = await h.run(['login', '--listen', LISTEN], { env: { HH_CLIENT_SECRET: undefined } });
    expect(noSecret.code).toBe(3);
    expect(noSecret.stderr).toContain('the client secret is not set');
    expect(noSecret.stderr).not.toContain('hh_oauth_start');
  });

  it('on a terminal it also prints a QR code of the URL (for a phone, over SSH)', async (ctx) => {
    requires(ctx, 'util-linux `script` (to give the CLI a terminal)', findTool('script') !== undefined);
    // `script` gives the CLI a pseudo-terminal on stdout and stderr, as an SSH session would.
    const out = await runInTty(['login', '--no-probe', '--no-open', '--timeout', '1s', '--listen', LISTEN], h.env({ TERM: 'xterm' }));
    expect(out.code).toBe(4);
    expect(out.stdout).toMatch(/[█▀▄]{10}/);
    expect(out.stdout).toContain('scan the code with a phone');
  });
});
