import { spawn, type ChildProcess, execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request as httpRequest, createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { connect, createServer as createTcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { jsonOut, runCli } from '../helpers/cli';
import { findTool, isRoot, skipUnless } from '../helpers/tools';

/**
 * The rendered nginx config judged by the real nginx: `nginx -t`, then a real nginx on
 * a loopback port proxying to test listeners. nginx runs in the foreground with every
 * path (pid, logs, temp) in a temporary directory, and is stopped after the test.
 */
const NGINX = findTool('nginx');
const skip = skipUnless(NGINX !== undefined, 'nginx is not installed (apt-get install nginx-light)');
const run = promisify(execFile);

const dirs: string[] = [];
const cleanups: Array<() => Promise<void> | void> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
});

function workspace(): string {
  const dir = mkdtempSync(join(tmpdir(), 'hh-nginx-'));
  dirs.push(dir);
  mkdirSync(join(dir, 'logs'));
  return dir;
}

/** A main nginx.conf that keeps everything inside dir and includes the rendered sites-enabled. */
function mainConf(dir: string, include: string): string {
  const path = join(dir, 'nginx.conf');
  writeFileSync(
    path,
    [
      'daemon off;',
      'master_process off;',
      `pid ${dir}/nginx.pid;`,
      `error_log ${dir}/error.log info;`,
      'events { worker_connections 64; }',
      'http {',
      `  access_log ${dir}/access.log;`,
      ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `  ${t}_temp_path ${dir}/${t};`),
      `  include ${include};`,
      '}',
      '',
    ].join('\n'),
  );
  return path;
}

const cliEnv = (dir: string) => ({ PATH: `${process.env.PATH}:/usr/sbin`, HOME: dir, HH_CONFIG_DIR: join(dir, 'config') });

async function render(dir: string, args: string[]): Promise<string> {
  const root = join(dir, 'root');
  const out = await runCli(['install-units', '--root', root, '--nginx-log-dir', join(dir, 'logs'), ...args], { env: cliEnv(dir) });
  if (out.code !== 0) throw new Error(`install-units failed: ${out.stderr}`);
  return join(root, 'etc/nginx/sites-enabled/*');
}

async function nginxTest(conf: string, dir: string): Promise<{ code: number; stderr: string }> {
  try {
    const { stderr } = await run(NGINX!, ['-t', '-c', conf, '-e', join(dir, 'error.log')]);
    return { code: 0, stderr };
  } catch (err) {
    return { code: (err as { code: number }).code, stderr: (err as { stderr: string }).stderr };
  }
}

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
}

async function listener(name: string): Promise<{ port: number; seen: Seen[]; server: Server }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    seen.push({ method: req.method!, url: req.url!, headers: req.headers });
    res.end(`${name} ok`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { port: (server.address() as { port: number }).port, seen, server };
}

async function freePort(): Promise<number> {
  const server = createTcpServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Polls until something accepts on the port (nginx has started), for at most ~5 s. */
async function waitForPort(port: number, child: ChildProcess, errorLog: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`nginx exited: ${existsSync(errorLog) ? readFileSync(errorLog, 'utf8') : ''}`);
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.end();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nginx did not listen on ${port}`);
}

function get(port: number, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method, headers: { Host: 'bot.example.com', ...headers } }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe.skipIf(skip)('the rendered nginx config, judged by the real nginx', () => {
  it('nginx -t accepts it, with and without --app-upstream', async () => {
    for (const extra of [[], ['--app-upstream', '127.0.0.1:8000', '--listen', '127.0.0.1:8080', '--callback-upstream', 'localhost:8400']]) {
      const dir = workspace();
      const conf = mainConf(dir, await render(dir, ['--server-name', 'bot.example.com', '--no-enable', ...extra]));
      const out = await nginxTest(conf, dir);
      expect(out, out.stderr).toMatchObject({ code: 0 });
      expect(out.stderr).toContain('test is successful');
    }
  });

  it('a real nginx proxies /callback with X-Forwarded-Proto https, X-Real-IP, X-Forwarded-For and Host; / goes to the app; rate-limited', async () => {
    const dir = workspace();
    const callback = await listener('callback');
    const app = await listener('app');
    const port = await freePort();
    const conf = mainConf(
      dir,
      await render(dir, [
        '--server-name', 'bot.example.com',
        '--listen', `127.0.0.1:${port}`,
        '--callback-upstream', `127.0.0.1:${callback.port}`,
        '--app-upstream', `127.0.0.1:${app.port}`,
      ]),
    );
    const child = spawn(NGINX!, ['-c', conf, '-e', join(dir, 'error.log')], { stdio: 'ignore' });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    cleanups.push(async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    });
    await waitForPort(port, child, join(dir, 'error.log'));

    // A client claiming plain http (or anything) cannot change what the upstream is told.
    const res = await get(port, '/callback?code=TESTCODE123&state=s1', { 'X-Forwarded-Proto': 'http' });
    expect(res).toEqual({ status: 200, body: 'callback ok' });
    expect(callback.seen).toHaveLength(1);
    const seen = callback.seen[0]!;
    expect(seen.url).toBe('/callback?code=TESTCODE123&state=s1');
    expect(seen.headers['x-forwarded-proto']).toBe('https');
    expect(seen.headers['x-real-ip']).toBe('127.0.0.1');
    expect(seen.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(seen.headers.host).toBe('bot.example.com');

    expect(await get(port, '/status')).toEqual({ status: 200, body: 'app ok' });
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

    child.kill('SIGTERM');
    await exited;
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
    const conf = mainConf(dir, join(dir, 'etc/nginx/sites-enabled/*'));
    const env = { ...cliEnv(dir), PATH: onlyNginxPath(dir) };
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
    const conf = mainConf(dir, join(dir, 'etc/nginx/sites-enabled/*'));
    const env = { ...cliEnv(dir), PATH: onlyNginxPath(dir) };
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
    const freshConf = mainConf(fresh, join(fresh, 'etc/nginx/sites-enabled/*'));
    const first = await runCli([...args(fresh, freshConf), '--callback-upstream', 'no-such-host.invalid:8400'], { env: { ...cliEnv(fresh), PATH: onlyNginxPath(fresh) } });
    expect(first.code).toBe(3);
    expect(existsSync(join(fresh, 'etc/nginx/sites-available/hh-oauth.conf'))).toBe(false);
    expect(existsSync(join(fresh, 'etc/nginx/sites-enabled/hh-oauth.conf'))).toBe(false);
  });
});
