import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AS_NOBODY,
  canDropPrivileges,
  canMountTmpfs,
  fakeSecret,
  isRoot,
  jsonOut,
  loginExpired,
  NOBODY,
  nobodyCanRunCli,
  REDIRECT_URI,
  requires,
  runCli,
  sleep,
  tokenPosts,
  trackSecrets,
  useHarness,
  WITHOUT_PRIVILEGE,
  writeTokenFile,
  type RunResult,
} from '../helpers';

/**
 * Bad input at every edge, each with its documented exit code, a message that names
 * the problem and a hint that names the fix, and nothing lost: the token file is
 * byte-for-byte what it was and, where hh.ru is involved, no grant was spent (the
 * pair still refreshes afterwards). The table of bad inputs in docs/reliability.md is this file.
 */
const h = useHarness({ expiresIn: 1 });
let tried = 0;

/** Probes that decide whether a privileged case can run here; in CI they must. */
const canSetpriv = canDropPrivileges();
const nobodyCanRun = canSetpriv && nobodyCanRunCli();
const canMount = canMountTmpfs();

interface Refusal {
  exit: number;
  code: string;
  message: RegExp;
  hint: RegExp;
}

/** The documented refusal: exit code, one JSON error naming the problem and the fix, the same on stderr. */
function expectRefused(out: RunResult, want: Refusal): void {
  tried++;
  expect(out.code, out.stderr).toBe(want.exit);
  const { error } = jsonOut(out);
  expect(error.code).toBe(want.code);
  expect(error.message).toMatch(want.message);
  expect(error.suggestion ?? '').toMatch(want.hint);
  expect(out.stderr).toContain(`error: ${error.message.split("\n")[0]}`);
  expect(out.stderr).toContain('hint:');
}

const CORRUPT_HINT = /restore it from a backup, or authorize again .*moves the damaged file aside/;

describe('the token file', () => {
  const valid = { access_token: 'USERAAAAAAAA', token_type: 'bearer', expires_in: 1209600, refresh_token: 'USERBBBBBBBB', obtained_at: '2026-11-23T09:00:00.000Z', expires_at: '2026-12-07T09:00:00.000Z' };
  const cases: Array<[string, string, RegExp]> = [
    ['empty', '', /is corrupt: it is empty/],
    ['only whitespace', ' \n\t\n', /is corrupt: it is empty/],
    ['truncated JSON', JSON.stringify(valid).slice(0, 40), /is corrupt: it is not valid JSON \(truncated\?\)/],
    ['binary garbage', '\u0000\u0001\u0002PK\u0003\u0004', /is corrupt: it is not valid JSON/],
    ['a JSON array', '[1,2,3]', /is corrupt: it is not a JSON object/],
    ['wrong types (access_token is a number)', JSON.stringify({ ...valid, access_token: 12345 }), /is corrupt: access_token is missing or not a string/],
    ['wrong types (expires_at is a number)', JSON.stringify({ ...valid, expires_at: 1767776400 }), /is corrupt: expires_at is not an ISO date/],
    ['missing refresh_token', JSON.stringify({ ...valid, refresh_token: undefined }), /is corrupt: refresh_token is missing or not a string/],
    ['no expiry at all', JSON.stringify({ access_token: 'A', refresh_token: 'R' }), /is corrupt: it has neither expires_at nor a numeric expires_in/],
    ['expires_in beyond any date', JSON.stringify({ access_token: 'A', refresh_token: 'R', expires_in: 1e300 }), /is corrupt: expires_in is out of range/],
  ];

  it.each(cases)('%s: exit 7 naming the damage, file unchanged, nothing sent', async (_name, content, message) => {
    writeTokenFile(h.tokenFile, content);
    const posts = tokenPosts(h);
    for (const command of ['refresh', 'whoami']) {
      const out = await h.run([command, '--json']);
      expectRefused(out, { exit: 7, code: 'store', message, hint: CORRUPT_HINT });
    }
    expect(readFileSync(h.tokenFile, 'utf8')).toBe(content);
    expect(tokenPosts(h)).toBe(posts);
  });

  it('a directory where the file should be: exit 7, for refresh and for exchange (whose code stays unspent)', async () => {
    mkdirSync(h.tokenFile, { recursive: true });
    expectRefused(await h.run(['refresh', '--json']), { exit: 7, code: 'store', message: /token\.json is not a regular file/, hint: /move it away, or point HH_TOKEN_FILE at a file/ });
    const callback = await h.authorize();
    const exchanged = h.sandbox.stats().exchanged;
    expectRefused(await h.run(['exchange', '-', '--json'], { input: callback }), { exit: 7, code: 'store', message: /is not a regular file/, hint: /move it away/ });
    expect(h.sandbox.stats().exchanged).toBe(exchanged);
    expect(statSync(h.tokenFile).isDirectory()).toBe(true);
  });

  it('a symbolic link: exit 7, not followed', async () => {
    mkdirSync(join(h.dir, 'state'), { recursive: true, mode: 0o700 });
    writeFileSync(join(h.dir, 'elsewhere.json'), JSON.stringify(valid));
    symlinkSync(join(h.dir, 'elsewhere.json'), h.tokenFile);
    expectRefused(await h.run(['refresh', '--json']), { exit: 7, code: 'store', message: /is a symbolic link; refusing to follow it/, hint: /point HH_TOKEN_FILE at the real file/ });
  });

  it('mode 0644 and ours: a warning, the mode tightened to 0640, the content unchanged', async () => {
    await h.login();
    chmodSync(h.tokenFile, 0o644);
    const before = readFileSync(h.tokenFile);
    const out = await h.run(['refresh', '--json']);
    tried++;
    expect(out.code, out.stderr).toBe(0);
    expect(out.stderr).toMatch(/warning: \S+token\.json had mode 0644, which lets others read the token; tightened to 0640/);
    expect(statSync(h.tokenFile).mode & 0o777).toBe(0o640);
    expect(readFileSync(h.tokenFile)).toEqual(before);
  });

  it('mode 0644 and owned by another user: a warning with the chmod to run, nothing changed', async (ctx) => {
    requires(ctx, 'root (to chown)', isRoot);
    await h.login();
    chmodSync(h.tokenFile, 0o644);
    chownSync(h.tokenFile, NOBODY, NOBODY);
    const before = readFileSync(h.tokenFile);
    const out = await h.run(['refresh', '--json']);
    tried++;
    expect(out.code, out.stderr).toBe(0);
    expect(out.stderr).toMatch(/warning: \S+token\.json has mode 0644, which lets others read the token; run `chmod 0640 \S+token\.json`/);
    expect(statSync(h.tokenFile).mode & 0o777).toBe(0o644);
    expect(readFileSync(h.tokenFile)).toEqual(before);
  });

  it('owned by another user and closed to us: exit 7 telling whom to run as; nothing sent', async (ctx) => {
    requires(ctx, 'root and setpriv (to run without privileges)', canSetpriv);
    const before = await loginExpired(h);
    chownSync(h.tokenFile, NOBODY, NOBODY);
    const posts = tokenPosts(h);
    for (const command of ['refresh', 'whoami']) {
      const out = await runCli([command, '--json'], { env: h.env(), wrap: WITHOUT_PRIVILEGE });
      expectRefused(out, { exit: 7, code: 'store', message: /cannot read \S+token\.json \(EACCES\)/, hint: /run as the user that owns the token file/ });
    }
    expect(readFileSync(h.tokenFile)).toEqual(before);
    expect(tokenPosts(h)).toBe(posts);
  });

  it('readable, but owned by another user in a shared (sticky) directory: refused before the refresh token is spent (the directory named)', async (ctx) => {
    requires(ctx, 'setpriv and a checkout that uid 65534 can read', nobodyCanRun);
    // Like a token file in /tmp: root's file, mode 0644, in a world-writable sticky directory.
    const before = await loginExpired(h);
    chmodSync(h.dir, 0o755);
    chmodSync(join(h.dir, 'state'), 0o1777);
    chmodSync(h.tokenFile, 0o644);
    const home = join(h.dir, 'nobody');
    mkdirSync(home);
    chownSync(home, NOBODY, NOBODY);
    const refreshed = h.sandbox.stats().refreshed;
    const out = await runCli(['refresh', '--json'], { env: h.env({ HOME: home, HH_CONFIG_DIR: home }), wrap: AS_NOBODY });
    // Anyone may have put a file there: refused on reading it, whoever owns it (docs/security/token-files.md).
    expectRefused(out, { exit: 7, code: 'store', message: /the token directory \S+state can be written by others \(mode 1777, owner root\), and token\.json belongs to root/, hint: /keep the token file in a directory of its own .*or run as the owner of \S+token\.json/ });
    expect(h.sandbox.stats().refreshed).toBe(refreshed);
    expect(readFileSync(h.tokenFile)).toEqual(before);
    // The pair is intact: its owner refreshes it.
    expect((await h.run(['refresh', '--json'])).code).toBe(0);
  });
});

describe('the token file on a read-only or full filesystem', () => {
  let mountPoint: string | undefined;
  const mount = (size: string) => {
    mountPoint = join(h.dir, 'mnt');
    mkdirSync(mountPoint, { recursive: true });
    const out = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', mountPoint]);
    if (out.status !== 0) throw new Error(`mount failed: ${out.stderr}`);
    return { HH_TOKEN_FILE: join(mountPoint, 'state', 'token.json') };
  };
  const umount = () => {
    if (mountPoint) spawnSync('umount', ['-l', mountPoint]);
    mountPoint = undefined;
  };

  it('read-only: exit 7 naming EROFS before anything is sent; no false "tightened" claim', async (ctx) => {
    requires(ctx, 'root and mount(8) (for a tmpfs)', canMount);
    const env = mount('1m');
    try {
      const callback = await h.authorize();
      expect((await h.run(['exchange', '-'], { input: callback, env })).code).toBe(0);
      chmodSync(env.HH_TOKEN_FILE, 0o644);
      const before = readFileSync(env.HH_TOKEN_FILE);
      expect(spawnSync('mount', ['-o', 'remount,ro', mountPoint!]).status).toBe(0);
      await sleep(1100);
      const posts = tokenPosts(h);
      const out = await h.run(['refresh', '--json'], { env });
      expectRefused(out, { exit: 7, code: 'store', message: /cannot create the lock .*token\.json\.lock.*\(EROFS\)/, hint: /read-only filesystem/ });
      expect(out.stderr).toMatch(/has mode 0644.*run `chmod 0640/);
      expect(out.stderr).not.toContain('tightened');
      expect(tokenPosts(h)).toBe(posts);
      expect(readFileSync(env.HH_TOKEN_FILE)).toEqual(before);
      // Back to read-write, the same pair refreshes: nothing was lost.
      expect(spawnSync('mount', ['-o', 'remount,rw', mountPoint!]).status).toBe(0);
      const again = await h.run(['refresh', '--json'], { env });
      expect(again.code, again.stderr).toBe(0);
      expect(jsonOut(again).status).toBe('refreshed');
    } finally {
      umount();
    }
  });

  it('full disk: exit 7 naming ENOSPC before anything is sent, with no room for the lock or for the new file', async (ctx) => {
    requires(ctx, 'root and mount(8) (for a small tmpfs)', canMount);
    const env = mount('64k');
    try {
      const callback = await h.authorize();
      expect((await h.run(['exchange', '-'], { input: callback, env })).code).toBe(0);
      const before = readFileSync(env.HH_TOKEN_FILE);
      // Fill the disk with 4 KiB files, then free exactly one: room for the lock, none for the new file.
      const fillers: string[] = [];
      for (let i = 0; ; i++) {
        const file = join(mountPoint!, `filler-${i}`);
        try {
          writeFileSync(file, Buffer.alloc(4096));
        } catch {
          rmSync(file, { force: true });
          break;
        }
        fillers.push(file);
      }
      await sleep(1100);
      const posts = tokenPosts(h);
      expectRefused(await h.run(['refresh', '--json'], { env }), { exit: 7, code: 'store', message: /cannot create the lock .*\(ENOSPC\)/, hint: /disk holding the token file is full/ });
      rmSync(fillers.pop()!);
      expectRefused(await h.run(['refresh', '--json'], { env }), { exit: 7, code: 'store', message: /cannot write beside \S+token\.json \(ENOSPC\)/, hint: /is full; free some space and run again \(nothing was sent to hh\.ru\)/ });
      // exchange too: its code is not spent, and once there is room the same callback still works.
      const next = await h.authorize();
      expectRefused(await h.run(['exchange', '-', '--json'], { input: next, env }), { exit: 7, code: 'store', message: /ENOSPC/, hint: /is full/ });
      expect(tokenPosts(h)).toBe(posts);
      expect(readFileSync(env.HH_TOKEN_FILE)).toEqual(before);
      for (const file of fillers) rmSync(file);
      const again = await h.run(['refresh', '--json'], { env });
      expect(again.code, again.stderr).toBe(0);
      expect(jsonOut(again).status).toBe('refreshed');
      const retried = await h.run(['exchange', '-'], { input: next, env });
      expect(retried.code, retried.stderr).toBe(0);
    } finally {
      umount();
    }
  });
});

describe("hh.ru's answers", () => {
  // One expired, unspent pair shared by every row: each row must leave it unspent, and the last test spends it.
  let pair: Buffer;
  beforeAll(async () => {
    pair = await loginExpired(h);
  });
  const withPair = () => writeTokenFile(h.tokenFile, pair);
  const TEMP = /temporary: run again later/;
  const rows: Array<[string, Parameters<typeof h.sandbox.fault>[0], Record<string, string>, Refusal]> = [
    ['an HTML 502 page', { kind: 'html', status: 502 }, {}, { exit: 6, code: 'temporary', message: /hh\.ru answered HTTP 502/, hint: TEMP }],
    ['an HTML 503 page, after a retry', { kind: 'html', status: 503 }, { HH_HTTP_RETRIES: '1' }, { exit: 6, code: 'temporary', message: /hh\.ru answered HTTP 503/, hint: TEMP }],
    ['an HTML 403 block page', { kind: 'html', status: 403 }, {}, { exit: 6, code: 'temporary', message: /an HTML page with HTTP 403 \(its anti-DDoS layer or an outage\)/, hint: TEMP }],
    ['429 with Retry-After', { kind: 'rate-limit', retryAfter: 30 }, {}, { exit: 6, code: 'temporary', message: /rate-limiting \(HTTP 429\)/, hint: TEMP }],
    ['429 with a Retry-After too long to wait', { kind: 'rate-limit', retryAfter: 3600 }, { HH_HTTP_RETRIES: '2' }, { exit: 6, code: 'temporary', message: /hh\.ru asks to wait 3600 s/, hint: TEMP }],
    ['200 with truncated JSON', { kind: 'truncated-json' }, {}, { exit: 6, code: 'temporary', message: /its body is not a JSON object \(truncated\?\); nothing was stored/, hint: /run again later/ }],
    ['200 without access_token', { kind: 'missing-access-token' }, {}, { exit: 6, code: 'temporary', message: /access_token is missing; nothing was stored/, hint: /run again later/ }],
    ['a huge body (8 MiB)', { kind: 'huge-body' }, {}, { exit: 6, code: 'temporary', message: /larger than 1024 KiB; refusing to read it/, hint: /HH_TOKEN_URL/ }],
    ['an unknown error value', { kind: 'unknown-error' }, {}, { exit: 5, code: 'rejected', message: /hh\.ru refused the request: mystery_error \(something new\)/, hint: /error reference \(https:\/\/api\.hh\.ru\/openapi/ }],
    ['a connection reset', { kind: 'reset' }, {}, { exit: 6, code: 'temporary', message: /POST 127\.0\.0\.1:\d+\/token failed: /, hint: TEMP }],
    ['no answer at all (HH_HTTP_TIMEOUT=1)', { kind: 'hang' }, { HH_HTTP_TIMEOUT: '1' }, { exit: 6, code: 'temporary', message: /no answer within 1 s/, hint: TEMP }],
  ];

  it.each(rows)('%s: documented exit code, the pair untouched and unspent', async (_name, fault, env, want) => {
    withPair();
    const refreshed = h.sandbox.stats().refreshed;
    h.sandbox.fault({ ...fault!, path: '/token' });
    const out = await h.run(['refresh', '--json'], { env });
    expectRefused(out, want);
    expect(readFileSync(h.tokenFile)).toEqual(pair);
    expect(h.sandbox.stats().refreshed).toBe(refreshed);
  });

  it('exchange meets an HTML 503: exit 6, and the same callback works once hh.ru is back', async () => {
    const callback = await h.authorize();
    h.sandbox.fault({ kind: 'html', status: 503, path: '/token', times: 1 });
    expectRefused(await h.run(['exchange', '-', '--json'], { input: callback }), { exit: 6, code: 'temporary', message: /HTTP 503/, hint: TEMP });
    const again = await h.run(['exchange', '-', '--json'], { input: callback });
    expect(again.code, again.stderr).toBe(0);
  });

  it('after all of that, the shared pair still refreshes: nothing was lost', async () => {
    withPair();
    const out = await h.run(['refresh', '--json']);
    expect(out.code, out.stderr).toBe(0);
    expect(jsonOut(out).status).toBe('refreshed');
  });
});

describe('a 200 whose expires_in is unusable (a server standing in for hh.ru)', () => {
  let server: Server;
  let body: Record<string, unknown>;
  beforeAll(async () => {
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it.each([['1e300', 1e300], ['missing', undefined], ['a string', '1209600']])('expires_in %s: the new pair is stored, due at once, with a warning (never dropped)', async (_name, expiresIn) => {
    const pair = { access_token: fakeSecret(), refresh_token: fakeSecret() };
    trackSecrets(() => Object.values(pair));
    body = { ...pair, token_type: 'bearer', expires_in: expiresIn };
    await loginExpired(h);
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`;
    const out = await h.run(['refresh', '--json'], { env: { HH_TOKEN_URL: url } });
    tried++;
    expect(out.code, out.stderr).toBe(0);
    expect(out.stderr).toContain('hh.ru sent no usable expires_in; storing the pair as due now');
    const file = JSON.parse(readFileSync(h.tokenFile, 'utf8'));
    expect(file.refresh_token).toBe(pair.refresh_token);
    expect(file.expires_at).toBe(file.obtained_at);
  });
});

describe('configuration', () => {
  const file = (name: string, content: string) => {
    const path = join(h.dir, name);
    writeFileSync(path, content, { mode: 0o600 });
    return path;
  };
  const ENV_HINT = /use KEY=value, KEY="value" or KEY='value'/;

  it.each([
    ['a value with a space', 'HH_CLIENT_ID=my app\n', /line 1: HH_CLIENT_ID: unquoted value contains spaces or shell syntax; quote it/],
    ['command substitution', "HH_CLIENT_ID=ok\nHH_CLIENT_SECRET=\"$(cat /etc/shadow)\"\n", /line 2: HH_CLIENT_SECRET: variable expansion and command substitution are not supported/],
    ['an unterminated quote', "HH_CLIENT_ID='abc\n", /line 1: HH_CLIENT_ID: unterminated single quote/],
    ['a line that is no assignment', 'just some words\n', /line 1: not a KEY=value assignment/],
  ])('a malformed env file (%s): exit 3 naming the line, never the value', async (_name, content, message) => {
    const out = await h.run(['authorize-url', '--json', '--env-file', file('bad.env', content)]);
    expectRefused(out, { exit: 3, code: 'config', message, hint: ENV_HINT });
    expect(out.stderr).not.toContain('shadow');
  });

  // Started through bin/hh-oauth's #! line: Node 20 itself used to claim --env-file and exit 9.
  it.each([
    ['missing', (dir: string) => join(dir, 'nope.env'), /cannot read env file \S+nope\.env \(ENOENT\)/],
    ['a directory', (dir: string) => dir, /cannot read env file \S+ \(EISDIR\)/],
  ])('an env file that is %s: exit 3 (not Node\'s own exit 9)', async (_name, path, message) => {
    const out = await runCli(['refresh', '--json', '--env-file', path(h.dir)], { env: h.env(), viaShebang: true });
    expectRefused(out, { exit: 3, code: 'config', message, hint: /check the path given to --env-file/ });
  });

  const secretCases: Array<[string, (dir: string) => string, RegExp, string[]?]> = [
    ['missing', (dir) => join(dir, 'no-such-secret'), /cannot read the client secret from HH_CLIENT_SECRET_FILE \S+no-such-secret \(ENOENT\)/],
    ['a directory', (dir) => dir, /cannot read the client secret from HH_CLIENT_SECRET_FILE \S+ \(EISDIR\)/],
    ['empty', (dir) => file('empty-secret', '\n'), /the first line of HH_CLIENT_SECRET_FILE \S+ is empty/],
    [
      'unreadable (another user\'s, 0600)',
      (dir) => {
        const path = file('others-secret', 'whatever\n');
        chownSync(path, NOBODY, NOBODY);
        return path;
      },
      /cannot read the client secret from HH_CLIENT_SECRET_FILE \S+ \(EACCES\)/,
      WITHOUT_PRIVILEGE,
    ],
  ];
  it.for(secretCases)('a client secret file that is %s: exit 3 before the code is spent; the code still works after', async ([, path, message, wrap], ctx) => {
    if (wrap) requires(ctx, 'root and setpriv (to run without privileges)', canSetpriv);
    const callback = await h.authorize();
    const posts = tokenPosts(h);
    const out = await runCli(['exchange', '-', '--json'], { env: h.env({ HH_CLIENT_SECRET: undefined, HH_CLIENT_SECRET_FILE: path(h.dir) }), input: callback, wrap });
    expectRefused(out, { exit: 3, code: 'config', message, hint: /check the path and that this user can read the file|put the client secret on the first line/ });
    expect(tokenPosts(h)).toBe(posts);
    const fixed = await h.run(['exchange', '-'], { input: callback });
    expect(fixed.code, fixed.stderr).toBe(0);
  });

  it('a redirect URI that is not a URL: exit 3 from the environment, exit 2 from a flag', async () => {
    expectRefused(await h.run(['authorize-url', '--json'], { env: { HH_REDIRECT_URI: 'not a url' } }), { exit: 3, code: 'config', message: /HH_REDIRECT_URI is not an http\(s\) URL/, hint: /set HH_REDIRECT_URI to an absolute URL/ });
    expectRefused(await h.run(['authorize-url', '--json'], { env: { HH_REDIRECT_URI: 'ftp://example.com/cb' } }), { exit: 3, code: 'config', message: /HH_REDIRECT_URI is not an http\(s\) URL/, hint: /absolute URL/ });
    expectRefused(await h.run(['authorize-url', '--json', '--redirect-uri', 'example.com/callback']), { exit: 2, code: 'usage', message: /HH_REDIRECT_URI is not an http\(s\) URL/, hint: /--redirect-uri .*absolute URL/ });
    // exchange without a pending authorize-url reads it too, and refuses before sending anything.
    const posts = tokenPosts(h);
    expectRefused(await h.run(['exchange', '-', '--json'], { input: 'ABCDEF123456', env: { HH_REDIRECT_URI: 'http//missing-colon' } }), { exit: 3, code: 'config', message: /HH_REDIRECT_URI is not an http\(s\) URL/, hint: /absolute URL/ });
    expect(tokenPosts(h)).toBe(posts);
  });

  it.each([
    ['HH_HTTP_TIMEOUT', 'soon', /HH_HTTP_TIMEOUT must be a positive number of seconds/],
    ['HH_LOCK_TIMEOUT', '-5', /HH_LOCK_TIMEOUT must be a positive number of seconds/],
    // Past what a timer can wait, the timeout would fire at once.
    ['HH_HTTP_TIMEOUT', '1e10', /HH_HTTP_TIMEOUT must be a positive number of seconds, at most 2147483/],
    // Parsed loosely, these retried without end while holding the lock.
    ['HH_HTTP_RETRIES', 'abc', /HH_HTTP_RETRIES must be a whole number from 0 to 10/],
    ['HH_USER_AGENT', 'Bot/1.0\r\nX-Evil: 1', /HH_USER_AGENT contains a line break/],
    ['HH_TOKEN_URL', 'api.hh.ru/token', /HH_TOKEN_URL is not an http\(s\) URL/],
  ])('%s=%j: exit 3 naming the setting and the fix, nothing sent', async (name, value, message) => {
    const before = await loginExpired(h);
    const posts = tokenPosts(h);
    expectRefused(await h.run(['refresh', '--json'], { env: { [name]: value } }), { exit: 3, code: 'config', message, hint: new RegExp(`set ${name}`) });
    expect(tokenPosts(h)).toBe(posts);
    expect(readFileSync(h.tokenFile)).toEqual(before);
  });
});

describe('the command line', () => {
  // Unknown options and commands, extra and missing arguments: in-process in
  // test/unit/cli/flags.test.ts (no command module runs); through the real process in exit-codes.test.ts.
  it('a --state with spaces: exit 2', async () => {
    expectRefused(await h.run(['authorize-url', '--json', '--state', 'two words']), { exit: 2, code: 'usage', message: /--state must be 1–256 printable characters without spaces/, hint: /--state/ });
  });

  const callbacks: Array<[string, string, RegExp, RegExp]> = [
    ['nothing at all', '', /no code or callback URL given/, /paste the whole URL/],
    ['a URL without code or error', `${REDIRECT_URI}?foo=bar&state=x`, /the callback URL has neither "code" nor "error"/, /copy the URL only after hh\.ru has redirected you back/],
    ['a broken URL', 'http://[::1/callback?code=ABC', /this is neither an authorization code nor a callback URL/, /paste the whole URL/],
    ['two codes', `${REDIRECT_URI}?code=AAAA&code=BBBB`, /the callback URL has more than one "code" parameter/, /paste the URL exactly as the browser shows it/],
    ['a code with markup', `${REDIRECT_URI}?code=%3Cscript%3E&state=x`, /the "code" in the callback URL is malformed/, /paste the URL exactly as the browser shows it/],
    ['prose', 'here is my code: ABC', /this is neither an authorization code nor a callback URL/, /paste the whole URL/],
    ['a javascript: URL', 'javascript:alert(1)//?code=ABC', /this is neither an authorization code nor a callback URL/, /paste the whole URL/],
  ];
  it.each(callbacks)('exchange with a malformed callback (%s): exit 2, nothing sent, token file unchanged', async (_name, input, message, hint) => {
    await h.login();
    const before = readFileSync(h.tokenFile);
    const posts = tokenPosts(h);
    expectRefused(await h.run(['exchange', '-', '--json'], { input }), { exit: 2, code: 'usage', message, hint });
    expect(tokenPosts(h)).toBe(posts);
    expect(readFileSync(h.tokenFile)).toEqual(before);
  });
});

afterAll(() => {
  console.log(`bad input: ${tried} cases refused (or handled) as documented`);
});
