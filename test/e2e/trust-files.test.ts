import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonOut, type Peer, quickLogin, readJson, requires, runCli, type RunResult, secondUser, sleep, useHarness } from '../helpers';

/**
 * What hh-oauth trusts, tried the way a second local user on the same server would try it
 * (issue 14, "Settings from files anyone could have written"): a real second account owns
 * the files, or the directories that hold them, and root runs hh-oauth. A file that others
 * could have written is refused (exit 3, naming it, its owner and mode, and the fix) before
 * anything is sent; what earlier versions created keeps working.
 */
const h = useHarness({ expiresIn: 1 });
const peer = secondUser();
const needPeer = (ctx: { skip(): void }) => requires(ctx, 'root, useradd and setpriv (a real second user)', peer !== undefined);
const other = () => peer as Peer;

// Where a planted setting would send the refresh token: on loopback, so that the https rule
// is not what stops it; this suite proves that the file is never read at all.
let thief: Server;
let thiefUrl: string;
const stolen: string[] = [];
beforeAll(async () => {
  thief = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d));
    req.on('end', () => {
      stolen.push(`${req.method} ${req.url} ${body}`);
      res.writeHead(500).end();
    });
  });
  await new Promise<void>((r) => thief.listen(0, '127.0.0.1', r));
  thiefUrl = `http://127.0.0.1:${(thief.address() as AddressInfo).port}/token`;
});
afterAll(() => new Promise<void>((r) => thief.close(() => r())));

/** A stored pair whose access token has expired (they live 1 s here), so that `refresh` spends it. */
async function loginDue(): Promise<void> {
  await quickLogin(h);
  await sleep(1100);
}

/** A hook that leaves a mark when it runs. */
function hook(dir: string, name = 'hook.sh'): { path: string; ran: () => boolean } {
  const path = join(dir, name);
  const mark = join(h.dir, `${name}.ran`);
  writeFileSync(path, `#!/bin/sh\ntouch '${mark}'\n`);
  chmodSync(path, 0o755);
  return { path, ran: () => existsSync(mark) };
}

interface Layout {
  fileMode: number;
  fileOwner?: 'peer';
  dirMode: number;
  dirOwner?: 'peer';
}

/** A directory and a file in it with these owners and modes; returns the file's path. */
function lay(dir: string, name: string, text: string, l: Layout): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, name);
  writeFileSync(file, text);
  chmodSync(file, l.fileMode);
  if (l.fileOwner) chownSync(file, other().uid, other().gid);
  chmodSync(dir, l.dirMode);
  if (l.dirOwner) chownSync(dir, other().uid, other().gid);
  return file;
}

const octal = (m: number) => `0${(m & 0o7777).toString(8).padStart(3, '0')}`;

/** The documented refusal: exit 3, the file, its owner and mode named, the fix in the hint, on stderr too. */
function expectUntrusted(out: RunResult, path: RegExp | string, owner: RegExp, fix: RegExp): void {
  expect(out.code, out.stderr).toBe(3);
  const { error } = jsonOut(out);
  expect(error.code).toBe('config');
  expect(error.message).toContain(typeof path === 'string' ? path : '');
  if (typeof path !== 'string') expect(error.message).toMatch(path);
  expect(error.message).toMatch(owner);
  expect(error.suggestion).toMatch(fix);
  expect(out.stderr).toContain('error: ');
  expect(out.stderr).toContain('hint: ');
}

const UNTRUSTED: Array<[string, Layout, RegExp, RegExp]> = [
  ['owned by the other user', { fileMode: 0o644, fileOwner: 'peer', dirMode: 0o755 }, /belongs to hh-oauth-peer \(uid \d+\), mode 0644/, /chown root/],
  ['writable by its group', { fileMode: 0o664, dirMode: 0o755 }, /belongs to root \(uid 0\), mode 0664.*its group/, /chmod go-w/],
  ['writable by every user', { fileMode: 0o646, dirMode: 0o755 }, /mode 0646.*every user/, /chmod go-w/],
  ['in a directory the other user owns', { fileMode: 0o644, dirMode: 0o755, dirOwner: 'peer' }, /directory \S+ belongs to hh-oauth-peer \(uid \d+\), mode 0755/, /chown root \S+/],
  ['in a directory every user may write (not sticky)', { fileMode: 0o644, dirMode: 0o777 }, /directory \S+ belongs to root \(uid 0\), mode 0777/, /chmod go-w \S+/],
];

/** The three files root reads settings from, each planted with a hook and a token URL. */
const SOURCES: Array<{ name: string; file: string; text: (hookPath: string) => string; env: (path: string, dir: string) => { args: string[]; env: Record<string, string | undefined> } }> = [
  {
    name: 'an --env-file',
    file: 'bot.env',
    text: (hookPath) => `HH_ON_REFRESH=${hookPath}\nHH_TOKEN_URL=${thiefUrl}\n`,
    env: (path) => ({ args: ['--env-file', path], env: {} }),
  },
  {
    name: 'the system settings file',
    file: 'hh-oauth.env',
    text: (hookPath) => `HH_ON_REFRESH=${hookPath}\nHH_TOKEN_URL=${thiefUrl}\n`,
    env: (path) => ({ args: [], env: { HH_SYSTEM_ENV_FILE: path } }),
  },
  {
    name: 'the saved config.json',
    file: 'config.json',
    text: (hookPath) => JSON.stringify({ 'on-refresh': hookPath, 'token-url': thiefUrl }),
    env: (_path, dir) => ({ args: [], env: { HH_CONFIG_DIR: dir } }),
  },
];

describe('settings from files that others could have written', () => {
  for (const source of SOURCES) {
    it.for(UNTRUSTED)(`${source.name} %s: exit 3 naming it, nothing sent, no hook run`, async ([, layout, owner, fix], ctx) => {
      needPeer(ctx);
      h.env();
    const dir = h.dir;
      await loginDue();
      const before = readFileSync(h.tokenFile);
      const planted = hook(dir);
      const shared = join(dir, 'shared');
      const path = lay(shared, source.file, source.text(planted.path), layout);
      const { args, env } = source.env(path, shared);
      const refreshed = h.sandbox.stats().refreshed;
      stolen.length = 0;

      // HH_TOKEN_URL from the environment would outrank the file: leave the file's in charge.
      const out = await h.run([...args, 'refresh', '--json'], { env: { ...env, HH_TOKEN_URL: undefined } });
      const named = layout.dirOwner || layout.dirMode & 0o002 ? shared : path;
      expectUntrusted(out, named, owner, fix);
      expect(stolen).toEqual([]);
      expect(planted.ran()).toBe(false);
      expect(h.sandbox.stats().refreshed).toBe(refreshed);
      expect(readFileSync(h.tokenFile)).toEqual(before);
    });
  }
});

describe('trusted layouts, and the order of the sources', () => {
  const TRUSTED: Array<[string, Layout]> = [
    ["root's, 0600 in a root-only 0700 directory (the deploy guide's /etc/hh-oauth)", { fileMode: 0o600, dirMode: 0o700 }],
    ["root's, 0644 in a 0755 directory", { fileMode: 0o644, dirMode: 0o755 }],
    ["root's, 0640 for a reader group in a 0750 directory", { fileMode: 0o640, dirMode: 0o750 }],
    ["root's, in a sticky directory every user may write (/tmp): only its owner may replace it", { fileMode: 0o644, dirMode: 0o1777 }],
  ];

  it.for(TRUSTED)('%s: read', async ([, layout]) => {
    h.env();
    const dir = h.dir;
    const envFile = lay(join(dir, 'etc'), 'hh-oauth.env', 'HH_HTTP_TIMEOUT=7\n', layout);
    for (const [args, env, origin] of [
      [['--env-file', envFile], {}, 'env-file'],
      [[], { HH_SYSTEM_ENV_FILE: envFile }, 'system-file'],
    ] as const) {
      const out = await h.run([...args, 'config', 'get', 'http-timeout', '--json'], { env });
      expect(out.code, out.stderr).toBe(0);
      expect(jsonOut(out)).toMatchObject({ value: '7', origin });
    }
  });

  it('flag > environment > --env-file > the system file > saved values > default', async () => {
    h.env();
    const dir = h.dir;
    const envFile = lay(join(dir, 'a'), 'bot.env', 'HH_HTTP_TIMEOUT=4\nHH_LOCK_TIMEOUT=4\n', { fileMode: 0o600, dirMode: 0o700 });
    const system = lay(join(dir, 'b'), 'hh-oauth.env', 'HH_HTTP_TIMEOUT=5\nHH_LOCK_TIMEOUT=5\nHH_HTTP_RETRIES=5\n', { fileMode: 0o600, dirMode: 0o700 });
    mkdirSync(join(dir, 'config'), { mode: 0o700 });
    writeFileSync(join(dir, 'config', 'config.json'), JSON.stringify({ 'http-timeout': '6', 'lock-timeout': '6', 'http-retries': '6', 'on-refresh-timeout': '6' }), { mode: 0o600 });
    const out = await h.run(['--env-file', envFile, 'config', 'list', '--json'], { env: { HH_SYSTEM_ENV_FILE: system, HH_HTTP_TIMEOUT: '3', HH_HTTP_RETRIES: undefined } });
    expect(out.code, out.stderr).toBe(0);
    const doc = jsonOut(out);
    expect(doc.system_file).toBe(system);
    const pick = (key: string) => ({ value: doc.settings[key].value, origin: doc.settings[key].origin });
    expect(pick('http-timeout')).toEqual({ value: '3', origin: 'env' });
    expect(pick('lock-timeout')).toEqual({ value: '4', origin: 'env-file' });
    expect(pick('http-retries')).toEqual({ value: '5', origin: 'system-file' });
    expect(pick('on-refresh-timeout')).toEqual({ value: '6', origin: 'config' });
    expect(out.stderr).toMatch(/flag > env > --env-file > system file > saved > default/);
  });

  it('/etc/hh-oauth/hh-oauth.env by default; HH_SYSTEM_ENV_FILE moves it, and empty turns it off', async () => {
    const without = { ...h.env(), HH_SYSTEM_ENV_FILE: undefined };
    const byDefault = await runCli(['config', 'list', '--json'], { env: without });
    expect(byDefault.code, byDefault.stderr).toBe(0);
    expect(jsonOut(byDefault).system_file).toBe('/etc/hh-oauth/hh-oauth.env');
    const off = await h.run(['config', 'list', '--json'], { env: { HH_SYSTEM_ENV_FILE: '' } });
    expect(jsonOut(off).system_file).toBeNull();
  });

  it('a missing system file or config.json is no error; a missing --env-file is', async () => {
    h.env();
    const dir = h.dir;
    const ok = await h.run(['config', 'list', '--json'], { env: { HH_SYSTEM_ENV_FILE: join(dir, 'none.env'), HH_CONFIG_DIR: join(dir, 'none') } });
    expect(ok.code, ok.stderr).toBe(0);
    const missing = await h.run(['--env-file', join(dir, 'none.env'), 'config', 'list', '--json']);
    expect(missing.code).toBe(3);
    expect(jsonOut(missing).error.message).toMatch(/cannot read env file \S+none\.env \(ENOENT\)/);
  });

  it('a FIFO or a directory as a settings file: exit 3, without waiting on the FIFO', async () => {
    h.env();
    const dir = h.dir;
    const fifo = join(dir, 'fifo.env');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const started = Date.now();
    const out = await h.run(['--env-file', fifo, 'config', 'list', '--json']);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(out.code).toBe(3);
    expect(jsonOut(out).error.message).toMatch(/fifo\.env is not a regular file/);
    const asDir = await h.run(['config', 'list', '--json'], { env: { HH_SYSTEM_ENV_FILE: dir } });
    expect(asDir.code).toBe(3);
    expect(jsonOut(asDir).error.message).toMatch(/cannot read the system settings file \S+ \(EISDIR\)/);
  });
});

describe('the client secret from a file', () => {
  it("HH_CLIENT_SECRET_FILE owned by the other user: exit 3, the code stays unspent", async (ctx) => {
    needPeer(ctx);
    h.env();
    const dir = h.dir;
    const file = lay(join(dir, 'secret'), 'client-secret', `${h.env().HH_CLIENT_SECRET}\n`, { fileMode: 0o600, fileOwner: 'peer', dirMode: 0o700 });
    const callback = await h.authorize();
    const exchanged = h.sandbox.stats().exchanged;
    const out = await h.run(['exchange', '-', '--json'], { input: callback, env: { HH_CLIENT_SECRET: undefined, HH_CLIENT_SECRET_FILE: file } });
    expectUntrusted(out, file, /belongs to hh-oauth-peer/, /chown root/);
    expect(h.sandbox.stats().exchanged).toBe(exchanged);
  });

  it('a secret file every user may read: a warning, and doctor fails the configuration', async () => {
    h.env();
    const dir = h.dir;
    const file = lay(join(dir, 'secret'), 'client-secret', `${h.env().HH_CLIENT_SECRET}\n`, { fileMode: 0o644, dirMode: 0o755 });
    const env = { HH_CLIENT_SECRET: undefined, HH_CLIENT_SECRET_FILE: file };
    const callback = await h.authorize();
    const out = await h.run(['exchange', '-', '--json'], { input: callback, env });
    expect(out.code, out.stderr).toBe(0);
    expect(out.stderr).toMatch(/warning: \S+client-secret has mode 0644: every user on this machine can read the client secret; run `chmod 0640 \S+client-secret`/);
    const doctor = await h.run(['doctor', '--json', '--skip-systemd', '--skip-nginx', '--no-refresh'], { env });
    const check = jsonOut(doctor).checks.find((c: { name: string }) => c.name === 'configuration');
    expect(check).toMatchObject({ status: 'fail', code: 'config' });
    expect(check.message).toMatch(/client-secret has mode 0644: every user on this machine can read the client secret/);
    expect(check.fix).toMatch(/chmod 0640 \S+client-secret/);
    expect(doctor.code).toBe(3);
    // A group that may read it (the service's) is a choice, not a leak.
    chmodSync(file, 0o640);
    const fine = await h.run(['doctor', '--json', '--skip-systemd', '--skip-nginx', '--no-refresh'], { env });
    expect(jsonOut(fine).checks.find((c: { name: string }) => c.name === 'configuration').status).toBe('pass');
  });

  it("the systemd credential: systemd's layout is read; a directory the other user owns is refused", async (ctx) => {
    needPeer(ctx);
    h.env();
    const dir = h.dir;
    const credentials = join(dir, 'credentials');
    // As systemd leaves it: read-only for the service's user (here root), 0400 in 0500.
    lay(credentials, 'hh-client-secret', `${h.env().HH_CLIENT_SECRET}\n`, { fileMode: 0o400, dirMode: 0o500 });
    const env = { HH_CLIENT_SECRET: undefined, CREDENTIALS_DIRECTORY: credentials };
    const good = await h.run(['config', 'get', 'client-secret', '--json'], { env });
    expect(good.code, good.stderr).toBe(0);
    expect(jsonOut(good).via).toMatch(/systemd credential/);
    chownSync(credentials, other().uid, other().gid);
    const bad = await h.run(['config', 'get', 'client-secret', '--json'], { env });
    expectUntrusted(bad, credentials, /belongs to hh-oauth-peer/, /chown root/);
  });
});

describe('programs hh-oauth runs', () => {
  async function refreshWithHook(command: string, env: Record<string, string | undefined> = {}): Promise<RunResult> {
    await loginDue();
    const refreshed = h.sandbox.stats().refreshed;
    const out = await h.run(['refresh', '--json'], { env: { HH_ON_REFRESH: command, ...env } });
    if (out.code !== 0) expect(h.sandbox.stats().refreshed).toBe(refreshed);
    return out;
  }

  it('a hook owned by the other user: exit 3 before the refresh token is spent, not run', async (ctx) => {
    needPeer(ctx);
    h.env();
    const dir = h.dir;
    mkdirSync(join(dir, 'bin'), { mode: 0o755 });
    const planted = hook(join(dir, 'bin'));
    chownSync(planted.path, other().uid, other().gid);
    expectUntrusted(await refreshWithHook(`${planted.path} --now`), planted.path, /belongs to hh-oauth-peer/, /chown root/);
    expect(planted.ran()).toBe(false);
  });

  it("a hook of root's in the other user's directory, and one reached through a link there: exit 3", async (ctx) => {
    needPeer(ctx);
    h.env();
    const dir = h.dir;
    const theirs = join(dir, 'theirs');
    mkdirSync(theirs, { mode: 0o755 });
    const planted = hook(theirs);
    chownSync(theirs, other().uid, other().gid);
    expectUntrusted(await refreshWithHook(planted.path), theirs, /directory \S+ belongs to hh-oauth-peer/, /chown root/);
    // A link in a trusted directory leads to the real file, which is what runs.
    mkdirSync(join(dir, 'bin'), { mode: 0o755 });
    symlinkSync(planted.path, join(dir, 'bin', 'notify'));
    expectUntrusted(await refreshWithHook(join(dir, 'bin', 'notify')), theirs, /directory \S+ belongs to hh-oauth-peer/, /chown root/);
    expect(planted.ran()).toBe(false);
  });

  it('a hook named without a path, found on PATH in a directory the other user owns: exit 3, naming where PATH led', async (ctx) => {
    needPeer(ctx);
    h.env();
    const dir = h.dir;
    const theirs = join(dir, 'theirs-bin');
    mkdirSync(theirs, { mode: 0o755 });
    const planted = hook(theirs, 'notify-bot');
    chownSync(theirs, other().uid, other().gid);
    const out = await refreshWithHook('notify-bot restart', { PATH: `${theirs}:${process.env.PATH}` });
    expectUntrusted(out, theirs, /directory \S+ belongs to hh-oauth-peer/, /chown root/);
    expect(jsonOut(out).error.message).toContain(planted.path);
    expect(planted.ran()).toBe(false);
  });

  it('a trusted hook found on PATH runs, by the path that was checked', async () => {
    h.env();
    const dir = h.dir;
    mkdirSync(join(dir, 'bin'), { mode: 0o755 });
    const trusted = hook(join(dir, 'bin'), 'notify-bot');
    const out = await refreshWithHook('notify-bot', { PATH: `${join(dir, 'bin')}:${process.env.PATH}` });
    expect(out.code, out.stderr).toBe(0);
    expect(trusted.ran()).toBe(true);
  });

  it('a host tool (systemctl) that PATH finds in the other user\'s directory: exit 3, not run', async (ctx) => {
    needPeer(ctx);
    h.env();
    const dir = h.dir;
    const theirs = join(dir, 'theirs-bin');
    mkdirSync(theirs, { mode: 0o755 });
    const planted = hook(theirs, 'systemctl');
    chownSync(planted.path, other().uid, other().gid);
    const out = await h.run(['status', '--json'], { env: { PATH: `${theirs}:${process.env.PATH}` } });
    expect(out.code).toBe(3);
    expect(out.stderr).toMatch(/theirs-bin\/systemctl belongs to hh-oauth-peer/);
    expect(planted.ran()).toBe(false);
  });
});

describe('run as the second user', () => {
  function asPeer(args: string[], env: Record<string, string | undefined>): Promise<RunResult> {
    return runCli(args, { env: h.env(env), wrap: other().as });
  }

  it("root's files are trusted by every user; the user's own are; root's that others may write are not", async (ctx) => {
    needPeer(ctx);
    h.env();
    const dir = h.dir;
    chmodSync(dir, 0o755);
    const home = join(dir, 'peer-home');
    mkdirSync(home, { mode: 0o700 });
    chownSync(home, other().uid, other().gid);
    const system = lay(join(dir, 'etc'), 'hh-oauth.env', 'HH_HTTP_TIMEOUT=8\n', { fileMode: 0o644, dirMode: 0o755 });
    const own = join(home, 'own.env');
    writeFileSync(own, 'HH_LOCK_TIMEOUT=9\n', { mode: 0o600 });
    chownSync(own, other().uid, other().gid);
    const env = { HOME: home, HH_CONFIG_DIR: join(home, 'config'), HH_SYSTEM_ENV_FILE: system };
    const out = await asPeer(['--env-file', own, 'config', 'list', '--json'], env);
    expect(out.code, out.stderr).toBe(0);
    expect(jsonOut(out).settings['http-timeout']).toMatchObject({ value: '8', origin: 'system-file' });
    expect(jsonOut(out).settings['lock-timeout']).toMatchObject({ value: '9', origin: 'env-file' });
    chmodSync(system, 0o664);
    const refused = await asPeer(['config', 'list', '--json'], env);
    expectUntrusted(refused, system, /belongs to root \(uid 0\), mode 0664/, /chmod go-w/);
  });
});

describe('an installation made by earlier versions keeps working', () => {
  it("the deploy guide's layout: /etc/hh-oauth 0700 with hh-oauth.env 0644 and client-secret 0600, all root's", async () => {
    h.env();
    const dir = h.dir;
    const etc = join(dir, 'etc', 'hh-oauth');
    const text = `HH_CLIENT_ID=${h.clientId}\nHH_REDIRECT_URI=${h.env().HH_REDIRECT_URI}\nHH_USER_AGENT="${h.env().HH_USER_AGENT}"\n`;
    const envFile = lay(etc, 'hh-oauth.env', text, { fileMode: 0o644, dirMode: 0o700 });
    const secret = lay(etc, 'client-secret', `${h.env().HH_CLIENT_SECRET}\n`, { fileMode: 0o600, dirMode: 0o700 });
    const env = { HH_CLIENT_ID: undefined, HH_REDIRECT_URI: undefined, HH_USER_AGENT: undefined, HH_CLIENT_SECRET: undefined, HH_CLIENT_SECRET_FILE: secret };
    // As the guide runs it (--env-file), and as the system file read by default.
    for (const extra of [{ args: ['--env-file', envFile], env: {} }, { args: [], env: { HH_SYSTEM_ENV_FILE: envFile } }]) {
      const callback = await h.authorize();
      const out = await h.run([...extra.args, 'exchange', '-', '--json'], { input: callback, env: { ...env, ...extra.env } });
      expect(out.code, out.stderr).toBe(0);
      expect(out.stderr).not.toMatch(/warning/);
    }
  });

  it("an env file in root's home, a config.json that `config set` wrote (0600 in 0700): read as before", async () => {
    h.env();
    const dir = h.dir;
    const home = join(dir, 'root-home');
    mkdirSync(home, { mode: 0o700 });
    const envFile = join(home, '.env');
    writeFileSync(envFile, 'HH_HTTP_TIMEOUT=11\n', { mode: 0o600 });
    const env = { HOME: home, HH_CONFIG_DIR: undefined, XDG_CONFIG_HOME: undefined };
    expect((await h.run(['config', 'set', 'lock-timeout', '12'], { env })).code).toBe(0);
    expect(readJson(join(home, '.config', 'hh-oauth', 'config.json'))).toEqual({ 'lock-timeout': '12' });
    const out = await h.run(['--env-file', envFile, 'config', 'list', '--json'], { env });
    expect(out.code, out.stderr).toBe(0);
    expect(jsonOut(out).settings['http-timeout']).toMatchObject({ value: '11', origin: 'env-file' });
    expect(jsonOut(out).settings['lock-timeout']).toMatchObject({ value: '12', origin: 'config' });
    await loginDue();
    const refresh = await h.run(['--env-file', envFile, 'refresh', '--json'], { env });
    expect(refresh.code, refresh.stderr).toBe(0);
  });

  it("the service user, given the root-only system file's values by systemd (EnvironmentFile=), refreshes without reading it", async (ctx) => {
    needPeer(ctx);
    h.env();
    const dir = h.dir;
    chmodSync(dir, 0o755);
    const etc = join(dir, 'etc', 'hh-oauth');
    const system = lay(etc, 'hh-oauth.env', `HH_CLIENT_ID=${h.clientId}\n`, { fileMode: 0o600, dirMode: 0o700 });
    await loginDue();
    // The state directory as systemd hands it to the service user.
    for (const path of [join(dir, 'state'), h.tokenFile]) chownSync(path, other().uid, other().gid);
    const home = join(dir, 'service-home');
    mkdirSync(home, { mode: 0o700 });
    chownSync(home, other().uid, other().gid);
    const out = await runCli(['refresh', '--json'], { env: h.env({ HOME: home, HH_CONFIG_DIR: join(home, 'config'), HH_SYSTEM_ENV_FILE: system }), wrap: other().as });
    expect(out.code, out.stderr).toBe(0);
    expect(jsonOut(out).status).toBe('refreshed');
    expect(out.stderr).not.toMatch(/error|warning/);
  });
});
