import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { browserRedirect, jsonOut, REDIRECT_URI, USER_AGENT, useHarness } from '../helpers';

const h = useHarness();

/** The environment with none of the settings `config set` can provide: they must come from the saved file. */
const BARE = { HH_CLIENT_ID: undefined, HH_CLIENT_SECRET: undefined, HH_REDIRECT_URI: undefined, HH_USER_AGENT: undefined };
const configFile = () => join(h.dir, 'config', 'config.json');
const clientSecret = () => h.env().HH_CLIENT_SECRET!;

describe('hh-oauth config', () => {
  it('saves to exactly $HH_CONFIG_DIR/config.json (0600 in 0700), and the commands read it back without the environment', async () => {
    const env = BARE;
    for (const [key, value] of [['client-id', h.clientId], ['redirect-uri', REDIRECT_URI], ['user-agent', USER_AGENT]] as const) {
      const out = await h.run(['config', 'set', key, value], { env });
      expect(out.code, out.stderr).toBe(0);
      expect(out.stdout).toBe('');
    }
    const secret = await h.run(['config', 'set', 'client-secret'], { env, input: `${clientSecret()}\n` });
    expect(secret.code, secret.stderr).toBe(0);

    expect(JSON.parse(readFileSync(configFile(), 'utf8'))).toEqual({
      'client-id': h.clientId,
      'redirect-uri': REDIRECT_URI,
      'user-agent': USER_AGENT,
      'client-secret': clientSecret(),
    });
    expect(statSync(configFile()).mode & 0o777).toBe(0o600);
    expect(statSync(join(h.dir, 'config')).mode & 0o777).toBe(0o700);

    // The round trip: authorize-url and exchange (client id, redirect URI, secret, User-Agent) from the saved file only.
    const url = await h.run(['authorize-url', '--json'], { env });
    expect(url.code, url.stderr).toBe(0);
    const { url: authorizeUrl, redirect_uri } = jsonOut(url);
    expect(new URL(authorizeUrl).searchParams.get('client_id')).toBe(h.clientId);
    expect(redirect_uri).toBe(REDIRECT_URI);
    const exchange = await h.run(['exchange', '-', '--json'], { env, input: await browserRedirect(authorizeUrl) });
    expect(exchange.code, exchange.stderr).toBe(0);
    expect(jsonOut(exchange).status).toBe('stored');
    const sent = h.sandbox.requests().filter((r) => r.path === '/token').at(-1)!;
    expect(sent.headers['user-agent']).toBe(USER_AGENT);
  });

  it('refuses the client secret as an argument, says why, and saves nothing', async () => {
    const typed = 'not-really-a-secret-0123456789';
    const out = await h.run(['config', 'set', 'client-secret', typed]);
    expect(out.code).toBe(2);
    expect(out.stderr).toContain('refusing to take the client-secret from the command line');
    expect(out.stderr).toMatch(/ps, \/proc/);
    expect(out.stderr).toContain('history');
    expect(out.stderr).toContain('< secret.txt');
    expect(out.stderr + out.stdout).not.toContain(typed);
    expect(existsSync(configFile())).toBe(false);

    const json = await h.run(['config', 'set', 'client-secret', typed, '--json']);
    expect(json.code).toBe(2);
    expect(jsonOut(json).error.code).toBe('usage');
  });

  it('validates values at the edge: URLs, one-line User-Agent, numbers, known keys (exit 2, nothing saved)', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['config', 'set', 'redirect-uri', 'ftp://example.com/callback'], /redirect-uri: not an http\(s\) URL/],
      [['config', 'set', 'api-url', 'api.hh.ru'], /api-url: not an http\(s\) URL/],
      [['config', 'set', 'user-agent', 'Bot/1.0 (ops@example.com)\nX-Injected: 1'], /user-agent: the value must be one line/],
      [['config', 'set', 'http-timeout', 'soon'], /http-timeout: must be a positive number/],
      [['config', 'set', 'client-id'], /no value given for client-id/],
      [['config', 'set', 'clientid', 'x'], /unknown setting "clientid"/],
    ];
    for (const [args, message] of cases) {
      const out = await h.run(args);
      expect(out.code, args.join(' ')).toBe(2);
      expect(out.stderr).toMatch(message);
    }
    const unknown = await h.run(['config', 'get', 'nope']);
    expect(unknown.stderr).toContain('valid keys: client-id, client-secret, client-secret-file, redirect-uri, user-agent, token-file, authorize-url, token-url, api-url');
    expect(existsSync(configFile())).toBe(false);
  });

  it('list --json shows every effective value and its origin (env, env-file, config, default), secrets masked', async () => {
    const envFile = join(h.dir, 'hh.env');
    writeFileSync(envFile, `HH_REDIRECT_URI=https://bot.example.com/callback\n`);
    await h.run(['config', 'set', 'user-agent', 'Saved/1.0 (saved@example.com)'], { env: BARE });
    await h.run(['config', 'set', 'client-secret'], { env: BARE, input: clientSecret() });
    const out = await h.run(['config', 'list', '--json', '--env-file', envFile], {
      env: { ...BARE, HH_CLIENT_ID: 'from-env', HH_TOKEN_FILE: undefined, STATE_DIRECTORY: join(h.dir, 'state-dir') },
    });
    expect(out.code, out.stderr).toBe(0);
    const { config_file, settings } = jsonOut(out);
    expect(config_file).toBe(configFile());
    expect(settings['client-id']).toEqual({ env: 'HH_CLIENT_ID', value: 'from-env', origin: 'env', secret: false });
    expect(settings['redirect-uri']).toMatchObject({ value: 'https://bot.example.com/callback', origin: 'env-file' });
    expect(settings['user-agent']).toMatchObject({ value: 'Saved/1.0 (saved@example.com)', origin: 'config' });
    expect(settings['client-secret']).toEqual({ env: 'HH_CLIENT_SECRET', value: `${clientSecret().slice(0, 4)}…`, origin: 'config', secret: true });
    expect(settings['api-url']).toMatchObject({ value: h.sandbox.env.HH_API_URL, origin: 'env' });
    expect(settings['lock-timeout']).toMatchObject({ value: '60', origin: 'default' });
    expect(settings['token-file']).toMatchObject({ value: join(h.dir, 'state-dir', 'token.json'), origin: 'default', via: 'STATE_DIRECTORY' });
    expect(settings['client-secret-file']).toMatchObject({ value: null, origin: null });

    const human = await h.run(['config', 'list'], { env: BARE });
    expect(human.stdout).toMatch(/^client-secret\s+\S{4}…\s+config$/m);
    expect(human.stdout).toMatch(/^client-secret-file\s+\(not set\)$/m);
    expect(human.stdout).toMatch(/^authorize-url\s+\S+\s+env$/m);
  });

  it('list shows a secret found through HH_CLIENT_SECRET_FILE masked, and names the file', async () => {
    const file = join(h.dir, 'secret.txt');
    writeFileSync(file, `${clientSecret()}\n`, { mode: 0o600 });
    const out = await h.run(['config', 'list', '--json'], { env: { ...BARE, HH_CLIENT_SECRET_FILE: file } });
    expect(jsonOut(out).settings['client-secret']).toEqual({
      env: 'HH_CLIENT_SECRET', value: `${clientSecret().slice(0, 4)}…`, origin: 'env', secret: true, via: `HH_CLIENT_SECRET_FILE ${file}`,
    });
  });

  it('get prints the effective value alone; unset removes the saved one; a missing value is exit 3', async () => {
    await h.run(['config', 'set', 'token-file', 'relative/token.json'], { env: BARE });
    const saved = JSON.parse(readFileSync(configFile(), 'utf8'))['token-file'];
    expect(saved).toMatch(/^\/.*\/relative\/token\.json$/); // made absolute when saved

    const get = await h.run(['config', 'get', 'token-file'], { env: { ...BARE, HH_TOKEN_FILE: undefined } });
    expect(get.stdout).toBe(`${saved}\n`);
    const env = await h.run(['config', 'get', 'HH_TOKEN_FILE', '--json']);
    expect(jsonOut(env)).toMatchObject({ key: 'token-file', value: h.tokenFile, origin: 'env' });

    const unset = await h.run(['config', 'unset', 'token-file', '--json'], { env: BARE });
    expect(jsonOut(unset)).toEqual({ key: 'token-file', status: 'removed', config_file: configFile() });
    expect(JSON.parse(readFileSync(configFile(), 'utf8'))).toEqual({});
    const again = await h.run(['config', 'unset', 'token-file', '--json'], { env: BARE });
    expect(jsonOut(again).status).toBe('not_saved');

    const missing = await h.run(['config', 'get', 'client-id'], { env: BARE });
    expect(missing.code).toBe(3);
    expect(missing.stdout).toBe('');
    expect(missing.stderr).toContain('client-id is not set');
  });

  it('warns when a saved value is shadowed by the environment', async () => {
    const out = await h.run(['config', 'set', 'user-agent', 'Other/2.0 (other@example.com)']);
    expect(out.code).toBe(0);
    expect(out.stderr).toContain('HH_USER_AGENT from the environment overrides the saved value');
  });

  // `config` alone (its help and a usage error): in-process in test/unit/cli/flags.test.ts.
});
