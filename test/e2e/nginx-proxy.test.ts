import { existsSync, mkdirSync, readFileSync, readlinkSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  bareEnv,
  findTool,
  freePort,
  httpRequest,
  isRoot,
  jsonOut,
  runCli,
  runProgram,
  skipUnless,
  startNginx,
  startRecordingServer,
  useTempDirs,
  writeMainConf,
  type RecordingServer,
} from '../helpers';

/**
 * The rendered nginx config judged by the real nginx: `nginx -t`, then a real nginx on
 * a loopback port proxying to test listeners. nginx runs in the foreground with every
 * path (pid, logs, temp) in a temporary directory, and is stopped after the test.
 */
const NGINX = findTool('nginx');
const skip = skipUnless(NGINX !== undefined, 'nginx is not installed (apt-get install nginx-light)');

const tempDir = useTempDirs('hh-nginx-');
const cleanups: Array<() => Promise<void> | void> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

function workspace(): string {
  const dir = tempDir();
  mkdirSync(join(dir, 'logs'));
  return dir;
}

/** Renders the site with install-units under DIR/root (access log in DIR/logs); returns the sites-enabled glob nginx includes. */
async function renderInto(dir: string, args: string[]): Promise<string> {
  const root = join(dir, 'root');
  const out = await runCli(['install-units', '--root', root, '--nginx-log-dir', join(dir, 'logs'), ...args], { env: bareEnv(dir) });
  if (out.code !== 0) throw new Error(`install-units failed: ${out.stderr}`);
  // Not vacuous: the glob matches the rendered site (a glob that matches nothing passes nginx -t).
  expect(readlinkSync(join(root, 'etc/nginx/sites-enabled/hh-oauth.conf'))).toBe('../sites-available/hh-oauth.conf');
  return join(root, 'etc/nginx/sites-enabled/*');
}

const nginxTest = (conf: string, dir: string) => runProgram(NGINX!, ['-t', '-c', conf, '-e', join(dir, 'error.log')]);

/** A test upstream behind nginx (it answers "NAME ok" and records what it got), closed after the file. */
async function upstream(name: string): Promise<RecordingServer> {
  const server = await startRecordingServer(`${name} ok`);
  cleanups.push(() => server.close());
  return server;
}

/** A request to nginx on 127.0.0.1:port for bot.example.com. */
const get = (port: number, path: string, headers: Record<string, string> = {}, method = 'GET') =>
  httpRequest(`http://127.0.0.1:${port}${path}`, { method, headers: { Host: 'bot.example.com', ...headers } });

describe.skipIf(skip)('the rendered nginx config, judged by the real nginx', () => {
  it('nginx -t accepts it, with and without --app-upstream', async () => {
    for (const extra of [[], ['--app-upstream', '127.0.0.1:8000', '--listen', '127.0.0.1:8080', '--callback-upstream', 'localhost:8400']]) {
      const dir = workspace();
      const conf = writeMainConf(dir, await renderInto(dir, ['--server-name', 'bot.example.com', '--no-enable', ...extra]));
      const out = nginxTest(conf, dir);
      expect(out, out.stderr).toMatchObject({ code: 0 });
      expect(out.stderr).toContain('test is successful');
    }
  });

  it('a real nginx proxies /callback with X-Forwarded-Proto https, X-Real-IP, X-Forwarded-For and Host; / goes to the app; rate-limited', async () => {
    const dir = workspace();
    const callback = await upstream('callback');
    const app = await upstream('app');
    const port = await freePort();
    await renderInto(dir, [
      '--server-name', 'bot.example.com',
      '--listen', `127.0.0.1:${port}`,
      '--callback-upstream', `127.0.0.1:${callback.port}`,
      '--app-upstream', `127.0.0.1:${app.port}`,
    ]);
    const nginx = await startNginx(readFileSync(join(dir, 'root/etc/nginx/sites-available/hh-oauth.conf'), 'utf8'), [port]);
    cleanups.push(() => nginx.stop());

    // A client claiming plain http (or anything) cannot change what the upstream is told.
    const res = await get(port, '/callback?code=TESTCODE123&state=s1', { 'X-Forwarded-Proto': 'http' });
    expect(res).toMatchObject({ status: 200, body: 'callback ok' });
    expect(callback.seen).toHaveLength(1);
    const seen = callback.seen[0]!;
    expect(seen.url).toBe('/callback?code=TESTCODE123&state=s1');
    expect(seen.headers['x-forwarded-proto']).toBe('https');
    expect(seen.headers['x-real-ip']).toBe('127.0.0.1');
    expect(seen.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(seen.headers.host).toBe('bot.example.com');

    expect(await get(port, '/status')).toMatchObject({ status: 200, body: 'app ok' });
    expect(app.seen[0]!.headers['x-forwarded-proto']).toBe('https');
    expect((await get(port, '/callback', {}, 'POST')).status).toBe(403);

    // rate=6r/m burst=5 nodelay: a quick series is cut off with 429 long before it ends.
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await get(port, `/callback?code=c${i}`)).status);
    expect(statuses).toContain(429);
    expect(statuses.filter((s) => s === 200).length).toBeLessThanOrEqual(6);
    expect(statuses.indexOf(429)).toBeGreaterThan(0);

    // Its own access log, without the query string (the code stays out of logs).
    const log = readFileSync(join(dir, 'logs', 'hh-oauth-callback.log'), 'utf8');
    expect(log).toContain('"GET /callback" 200');
    expect(log).toContain('"GET /callback" 429');
    expect(log).not.toContain('TESTCODE123');
  });
});

describe.skipIf(skip || skipUnless(isRoot, 'install-units runs nginx -t as root'))('install-units runs nginx -t and rolls back a refused config', () => {
  /** PATH holding only nginx: systemctl (and the rest) are missing, which install-units must survive. */
  function onlyNginxPath(dir: string): string {
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    symlinkSync(NGINX!, join(bin, 'nginx'));
    return bin;
  }

  const args = (dir: string, conf: string) => [
    'install-units', '--json', '--user', 'nobody', '--server-name', 'bot.example.com',
    '--systemd-dir', join(dir, 'systemd'), '--nginx-dir', join(dir, 'etc/nginx/sites-available'),
    '--nginx-log-dir', join(dir, 'logs'), '--nginx-conf', conf,
  ];

  it('missing systemctl is reported with the manual commands, not fatal; nginx -t passes', async () => {
    const dir = workspace();
    const conf = writeMainConf(dir, join(dir, 'etc/nginx/sites-enabled/*'));
    const env = bareEnv(dir, { PATH: onlyNginxPath(dir) });
    const out = await runCli(args(dir, conf), { env });
    expect(out.code, out.stderr).toBe(0);
    expect(jsonOut(out).steps).toEqual([
      { command: 'systemctl daemon-reload', status: 'missing', detail: 'systemctl: not found on PATH' },
      { command: `nginx -t -c ${conf}`, status: 'ok' },
      { command: 'systemctl reload nginx', status: 'missing', detail: 'systemctl: not found on PATH' },
    ]);
    expect(out.stderr).toContain('systemctl is not installed or not on PATH; run these yourself: systemctl daemon-reload && systemctl enable --now hh-oauth-refresh.timer hh-oauth-expiry.timer');
    expect(out.stderr).toContain('nginx -t accepted the configuration');
  });

  it('when nginx -t refuses the new config, the previous file is put back (exit 3); a new one is removed', async () => {
    const dir = workspace();
    const conf = writeMainConf(dir, join(dir, 'etc/nginx/sites-enabled/*'));
    const env = bareEnv(dir, { PATH: onlyNginxPath(dir) });
    const file = join(dir, 'etc/nginx/sites-available/hh-oauth.conf');
    const link = join(dir, 'etc/nginx/sites-enabled/hh-oauth.conf');

    expect((await runCli(args(dir, conf), { env })).code).toBe(0);
    const good = readFileSync(file, 'utf8');
    const bad = await runCli([...args(dir, conf), '--callback-upstream', 'no-such-host.invalid:8400'], { env });
    expect(bad.code).toBe(3);
    expect(jsonOut(bad).error.message).toMatch(/^nginx -t refused the new configuration, so the previous one was put back: .*host not found in upstream "no-such-host.invalid"/);
    expect(readFileSync(file, 'utf8')).toBe(good);
    expect(readlinkSync(link)).toBe('../sites-available/hh-oauth.conf');

    const fresh = workspace();
    const freshConf = writeMainConf(fresh, join(fresh, 'etc/nginx/sites-enabled/*'));
    const first = await runCli([...args(fresh, freshConf), '--callback-upstream', 'no-such-host.invalid:8400'], { env: bareEnv(fresh, { PATH: onlyNginxPath(fresh) }) });
    expect(first.code).toBe(3);
    // The answer that lists the files is not printed on a failure: the units that stay written are named once, on stderr.
    expect(first.stderr).toContain(`written before the failure: created ${join(fresh, 'systemd', 'hh-oauth-refresh.service')}, created ${join(fresh, 'systemd', 'hh-oauth-refresh.timer')}, created ${join(fresh, 'systemd', 'hh-oauth-expiry.timer')}\n`);
    expect(first.stderr).not.toMatch(/written before the failure: .*hh-oauth\.conf/);
    expect(existsSync(join(fresh, 'etc/nginx/sites-available/hh-oauth.conf'))).toBe(false);
    expect(existsSync(join(fresh, 'etc/nginx/sites-enabled/hh-oauth.conf'))).toBe(false);
  });
});
