import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findTool, freePort, jsonOut, runCli, skipUnless } from '../helpers';

/**
 * With plain `authorize-url` + `exchange` nothing listens behind the callback proxy, so
 * every real callback is answered 502 by nginx, and a quick series 429 by limit_req.
 * nginx's error log records the full request line (query string included) with both, at
 * levels "error" and below. The callback location has its own error log at "crit", which
 * neither reaches. Proven with the real nginx and the config install-units renders: the
 * main error log here is at "info", the most verbose level a stock nginx writes.
 */
const NGINX = findTool('nginx');
const skip = skipUnless(NGINX !== undefined, 'nginx is not installed (apt-get install nginx-light)');

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const CODE = 'SECRETCODEzq81';
const STATE = 'SECRETSTATEzq82';

function get(port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { Host: 'bot.example.com' }, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode!));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Every regular file under dir, with its content. */
function filesUnder(dir: string): Array<{ path: string; text: string }> {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((name) => join(dir, name))
    .filter((path) => statSync(path).isFile())
    .map((path) => ({ path, text: readFileSync(path, 'latin1') }));
}

describe.skipIf(skip)('the callback location keeps the code out of every nginx log', () => {
  it('a callback answered 502 (nothing behind) and callbacks answered 429 (burst exceeded) leave no code or state in any file nginx wrote', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hh-nginx-errlog-'));
    dirs.push(dir);
    const logs = join(dir, 'logs');
    mkdirSync(logs);
    const [port, deadUpstream] = [await freePort(), await freePort()];

    const root = join(dir, 'root');
    const env = { PATH: `${process.env.PATH}:/usr/sbin`, HOME: dir, HH_CONFIG_DIR: join(dir, 'config') };
    const rendered = await runCli(
      ['install-units', '--root', root, '--no-enable', '--server-name', 'bot.example.com', '--listen', `127.0.0.1:${port}`, '--callback-upstream', `127.0.0.1:${deadUpstream}`, '--nginx-log-dir', logs],
      { env },
    );
    expect(rendered.code, rendered.stderr).toBe(0);
    const site = join(root, 'etc/nginx/sites-available/hh-oauth.conf');

    // doctor's nginx check judges the same file (nginx -t inside a minimal nginx.conf).
    const doctor = await runCli(['doctor', '--json', '--skip-systemd', '--nginx-conf', site], { env });
    const nginxCheck = jsonOut(doctor).checks.find((c: { name: string }) => c.name === 'nginx');
    expect(nginxCheck, doctor.stdout).toMatchObject({ status: 'pass' });

    const conf = join(dir, 'nginx.conf');
    writeFileSync(
      conf,
      [
        'daemon off;',
        'master_process off;',
        `pid ${dir}/nginx.pid;`,
        `error_log ${dir}/error.log info;`,
        'events { worker_connections 64; }',
        'http {',
        `  access_log ${dir}/access.log;`,
        ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `  ${t}_temp_path ${dir}/${t};`),
        `  include ${root}/etc/nginx/sites-enabled/*;`,
        '}',
        '',
      ].join('\n'),
    );
    const tested = spawn(NGINX!, ['-t', '-c', conf, '-e', join(dir, 'error.log')], { stdio: ['ignore', 'ignore', 'pipe'] });
    let testOutput = '';
    tested.stderr!.on('data', (d: Buffer) => (testOutput += d));
    expect(await new Promise((resolve) => tested.once('exit', resolve)), testOutput).toBe(0);

    const child = spawn(NGINX!, ['-c', conf, '-e', join(dir, 'error.log')], { stdio: 'ignore' });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      for (let i = 0; i < 100 && (await get(port, '/').catch(() => 0)) === 0; i++) await new Promise((r) => setTimeout(r, 50));

      expect(await get(port, `/callback?code=${CODE}&state=${STATE}`)).toBe(502);
      const statuses: number[] = [];
      for (let i = 0; i < 10; i++) statuses.push(await get(port, `/callback?code=${CODE}${i}&state=${STATE}`));
      expect(statuses).toContain(502);
      expect(statuses).toContain(429);
    } finally {
      child.kill('SIGTERM');
      await exited;
    }

    const written = [...filesUnder(dir).filter((f) => !f.path.startsWith(root)), ...filesUnder(join(root, 'etc/nginx'))];
    for (const { path, text } of written) {
      expect(text, path).not.toContain('SECRETCODE');
      expect(text, path).not.toContain(STATE);
    }
    expect(written.map((f) => f.path)).toEqual(expect.arrayContaining([join(dir, 'error.log'), join(logs, 'hh-oauth-callback.log'), join(logs, 'hh-oauth-callback.error.log')]));
    expect(readFileSync(site, 'utf8')).toMatch(/error_log \S+\/hh-oauth-callback\.error\.log crit;/);

    // What the operator still has: each outcome in the callback access log, and its cause.
    const access = readFileSync(join(logs, 'hh-oauth-callback.log'), 'utf8');
    expect(access).toMatch(new RegExp(`"GET /callback" 502 "[^"]*" upstream=127\\.0\\.0\\.1:${deadUpstream} 502 limit_req=PASSED`));
    expect(access).toMatch(/"GET \/callback" 429 "[^"]*" upstream=- - limit_req=REJECTED/);
  });
});
