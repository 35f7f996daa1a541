import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname, networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonOut, quickLogin, sleep, useHarness } from '../helpers';

/**
 * Credentials in cleartext (issue 14): the refresh token, the client secret and Bearer
 * tokens go to HH_TOKEN_URL and HH_API_URL, and the operator's hh.ru password to the page
 * at HH_AUTHORIZE_URL. Over http:// on anything but this machine they would cross the
 * network unencrypted: exit 3 naming the setting, wherever the URL would be used, before
 * anything is sent; `config set` does not save one and `doctor` fails it. Loopback (the
 * sandbox, the tests) stays allowed.
 */
const h = useHarness({ expiresIn: 1 });

// A listener that records whether anything reached it; addressed by a name that is not loopback.
let listener: Server;
let port: number;
let reached = 0;
beforeAll(async () => {
  listener = createServer((_req, res) => {
    reached++;
    res.writeHead(500).end();
  });
  await new Promise<void>((r) => listener.listen(0, '0.0.0.0', r));
  port = (listener.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((r) => listener.close(() => r())));

/**
 * This host by a name that is not loopback: its own network address (the listener above
 * answers there, so a request that went out would be counted), else its host name, which
 * /etc/hosts usually maps to 127.0.1.1 but which hh-oauth does not resolve to decide.
 */
const HOST = Object.values(networkInterfaces()).flat().find((a) => a && a.family === 'IPv4' && !a.internal)?.address ?? hostname();
const CLEARTEXT = (path: string) => `http://${HOST}:${port}${path}`;
const HOST_RE = HOST.replace(/\./g, '\\.');

describe('http:// to a host that is not this machine', () => {
  it('HH_TOKEN_URL: refresh, exchange and app-token refuse it (exit 3, naming the setting) and send nothing', async () => {
    await quickLogin(h);
    await sleep(1100);
    const env = { HH_TOKEN_URL: CLEARTEXT('/token') };
    for (const [args, input] of [[['refresh', '--json']], [['app-token', '--json']], [['exchange', 'SOMECODE', '--json']]] as Array<[string[], string?]>) {
      const out = await h.run(args, { env, input });
      expect(out.code, `${args[0]}: ${out.stderr}`).toBe(3);
      const { error } = jsonOut(out);
      expect(error.code).toBe('config');
      expect(error.message).toMatch(new RegExp(`^HH_TOKEN_URL \\(env\\) is http://${HOST_RE}:\\d+: the refresh token, codes and the client secret would cross the network unencrypted`));
      expect(error.suggestion).toMatch(/use https:\/\/, or unset HH_TOKEN_URL to use hh\.ru/);
    }
    expect(reached).toBe(0);
  });

  it('HH_API_URL: whoami and revoke refuse it; HH_AUTHORIZE_URL: authorize-url refuses it', async () => {
    await quickLogin(h);
    for (const [name, args] of [['HH_API_URL', ['whoami', '--json']], ['HH_API_URL', ['revoke', '--yes', '--json']], ['HH_AUTHORIZE_URL', ['authorize-url', '--json']]] as const) {
      const out = await h.run([...args], { env: { [name]: CLEARTEXT('/') } });
      expect(out.code, out.stderr).toBe(3);
      expect(jsonOut(out).error.message).toMatch(new RegExp(`^${name} \\(env\\) is http://`));
    }
    expect(reached).toBe(0);
  });

  it('the same from a file: the --env-file, and the saved settings', async () => {
    await quickLogin(h);
    mkdirSync(join(h.dir, 'config'), { recursive: true, mode: 0o700 });
    writeFileSync(join(h.dir, 'config', 'config.json'), JSON.stringify({ 'api-url': CLEARTEXT('/') }), { mode: 0o600 });
    const saved = await h.run(['whoami', '--json'], { env: { HH_API_URL: undefined } });
    expect(saved.code).toBe(3);
    expect(jsonOut(saved).error.message).toMatch(/^HH_API_URL \(config\) is http:\/\//);
    writeFileSync(join(h.dir, 'bot.env'), `HH_API_URL=${CLEARTEXT('/')}\n`, { mode: 0o600 });
    const fromFile = await h.run(['--env-file', join(h.dir, 'bot.env'), 'whoami', '--json'], { env: { HH_API_URL: undefined } });
    expect(fromFile.code).toBe(3);
    expect(jsonOut(fromFile).error.message).toMatch(/^HH_API_URL \(env-file\) is http:\/\//);
    expect(reached).toBe(0);
  });

  it('config set does not save one (exit 2, naming the key); doctor fails it', async () => {
    for (const key of ['token-url', 'api-url', 'authorize-url']) {
      const out = await h.run(['config', 'set', key, CLEARTEXT('/x'), '--json']);
      expect(out.code, out.stderr).toBe(2);
      expect(jsonOut(out).error.message).toMatch(new RegExp(`^${key}: http:// .*unencrypted`));
    }
    const list = await h.run(['config', 'list', '--json'], { env: { HH_API_URL: undefined, HH_TOKEN_URL: undefined, HH_AUTHORIZE_URL: undefined } });
    expect(jsonOut(list).settings['token-url'].origin).toBe('default');

    const doctor = await h.run(['doctor', '--json', '--skip-systemd', '--skip-nginx', '--no-refresh'], { env: { HH_TOKEN_URL: CLEARTEXT('/token') } });
    const check = jsonOut(doctor).checks.find((c: { name: string }) => c.name === 'configuration');
    expect(check).toMatchObject({ status: 'fail', code: 'config' });
    expect(check.message).toMatch(new RegExp(`HH_TOKEN_URL \\(env\\) is http://${HOST_RE}:\\d+: .*unencrypted`));
    expect(check.fix).toMatch(/https:\/\//);
    expect(doctor.code).toBe(3);
    expect(reached).toBe(0);
  });

  it('no user name or password of a URL in the message', async () => {
    const out = await h.run(['authorize-url', '--json'], { env: { HH_AUTHORIZE_URL: `http://someone:PASSWORD123@${HOST}:${port}/oauth` } });
    expect(out.code).toBe(3);
    expect(out.stdout + out.stderr).not.toMatch(/PASSWORD123|someone/);
  });
});

describe('loopback and https', () => {
  it('127.0.0.0/8, [::1] and localhost are this machine: allowed over http', async () => {
    for (const host of ['127.0.0.1', '127.3.2.1', '[::1]', 'localhost']) {
      const out = await h.run(['config', 'set', 'api-url', `http://${host}:9/`, '--json']);
      expect(out.code, `${host}: ${out.stderr}`).toBe(0);
    }
  });

  it('a redirect URI over http to another host: a warning (the code is single-use, and useless without the secret)', async () => {
    const out = await h.run(['authorize-url', '--json'], { env: { HH_REDIRECT_URI: 'http://bot.example.com/callback' } });
    expect(out.code, out.stderr).toBe(0);
    expect(out.stderr).toMatch(/warning: HH_REDIRECT_URI is http:\/\/bot\.example\.com: the authorization code would reach it unencrypted; register an https:\/\/ redirect URI at dev\.hh\.ru/);
    const local = await h.run(['authorize-url', '--json']);
    expect(local.stderr).not.toMatch(/unencrypted/);
  });
});
