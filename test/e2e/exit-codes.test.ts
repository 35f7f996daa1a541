import { readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { jsonOut, sleep, tokenPosts, useHarness, writeTokenFile } from '../helpers';

/** Every exit code of docs/contract.md, reached through the built CLI against the sandbox. */
const h = useHarness({ expiresIn: 1 });

describe('exit 2: usage', () => {
  it('an unknown option is a usage error, reported as one JSON document with --json', async () => {
    const out = await h.run(['refresh', '--bogus', '--json']);
    expect(out.code).toBe(2);
    expect(jsonOut(out)).toEqual({ error: { code: 'usage', message: "unknown option '--bogus'", suggestion: expect.any(String) } });
  });

  it('an unknown command is a usage error', async () => {
    const out = await h.run(['refersh']);
    expect(out.code).toBe(2);
    expect(out.stderr).toContain("unknown command 'refersh'");
  });

  it('a malformed callback URL is a usage error and sends nothing', async () => {
    const before = tokenPosts(h);
    const out = await h.run(['exchange', '-'], { input: 'https://example.com/callback?foo=bar' });
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(/neither "code" nor "error"/);
    expect(tokenPosts(h)).toBe(before);
  });
});

describe('exit 3: configuration', () => {
  it('a missing client id names the variable and how to set it', async () => {
    const out = await h.run(['authorize-url', '--json'], { env: { HH_CLIENT_ID: undefined } });
    expect(out.code).toBe(3);
    const { error } = jsonOut(out);
    expect(error.code).toBe('config');
    expect(error.message).toContain('HH_CLIENT_ID');
    expect(error.suggestion).toMatch(/export HH_CLIENT_ID=.*config set client-id/);
  });

  it('a missing secret is a config error naming the secret file option', async () => {
    const callback = await h.authorize();
    const out = await h.run(['exchange', '-'], { input: callback, env: { HH_CLIENT_SECRET: undefined } });
    expect(out.code).toBe(3);
    expect(out.stderr).toContain('HH_CLIENT_SECRET_FILE');
  });

  it('a malformed env file is a config error naming the line, not its value', async () => {
    const file = join(h.dir, 'bad.env');
    writeFileSync(file, 'HH_CLIENT_ID=ok\nHH_CLIENT_SECRET=$(cat /etc/shadow)\n');
    const out = await h.run(['authorize-url', '--env-file', file]);
    expect(out.code).toBe(3);
    expect(out.stderr).toContain('line 2');
    expect(out.stderr).not.toContain('shadow');
  });

  it('a redirect URI that is not a URL is a config error', async () => {
    const out = await h.run(['authorize-url'], { env: { HH_REDIRECT_URI: 'not a url' } });
    expect(out.code).toBe(3);
    expect(out.stderr).toContain('HH_REDIRECT_URI is not an http(s) URL');
  });

  it('env-file values fill in what the environment lacks, and the environment wins over them', async () => {
    const file = join(h.dir, 'good.env');
    writeFileSync(file, "export HH_CLIENT_ID='from-file'\nHH_REDIRECT_URI=\"http://127.0.0.1:8400/callback\" # comment\n");
    const fromFile = await h.run(['authorize-url', '--env-file', file, '--json'], { env: { HH_CLIENT_ID: undefined } });
    expect(new URL(jsonOut(fromFile).url).searchParams.get('client_id')).toBe('from-file');
    const fromEnv = await h.run(['authorize-url', '--env-file', file, '--json']);
    expect(new URL(jsonOut(fromEnv).url).searchParams.get('client_id')).toBe(h.clientId);
  });
});

describe('exit 4: authorization required', () => {
  it('no token file', async () => {
    const out = await h.run(['refresh', '--json']);
    expect(out.code).toBe(4);
    expect(jsonOut(out).error).toMatchObject({ code: 'reauthorize', message: expect.stringContaining('no token file') });
  });

  it('access_denied in the callback URL sends nothing to hh.ru', async () => {
    h.sandbox.setDecision('deny');
    try {
      const callback = await h.authorize();
      expect(callback).toContain('error=access_denied');
      const before = tokenPosts(h);
      const out = await h.run(['exchange', '-'], { input: callback });
      expect(out.code).toBe(4);
      expect(out.stderr).toContain('access was denied');
      expect(tokenPosts(h)).toBe(before);
    } finally {
      h.sandbox.setDecision('approve');
    }
  });

  it('an unknown (forged) state sends nothing to hh.ru', async () => {
    const callback = new URL(await h.authorize());
    callback.searchParams.set('state', 'forged-state');
    const before = tokenPosts(h);
    const out = await h.run(['exchange', '-'], { input: callback.toString() });
    expect(out.code).toBe(4);
    expect(out.stderr).toContain('state is unknown');
    expect(tokenPosts(h)).toBe(before);
  });

  it('a used code: hh.ru says so, and --json carries its error fields', async () => {
    const callback = await h.authorize();
    expect((await h.run(['exchange', '-'], { input: callback })).code).toBe(0);
    // Replaying the same callback fails on our side (state consumed): pass the bare code instead.
    const code = new URL(callback).searchParams.get('code')!;
    const out = await h.run(['exchange', '-', '--json'], { input: code });
    expect(out.code).toBe(4);
    expect(jsonOut(out).error).toMatchObject({ code: 'reauthorize', hh_error: 'invalid_grant', hh_error_description: 'code has already been used' });
  });

  it('a spent refresh token: refresh exits 4 and tells the operator to authorize again', async () => {
    await h.login();
    const stale = readFileSync(h.tokenFile, 'utf8');
    await sleep(1100);
    expect((await h.run(['refresh'])).code).toBe(0);
    writeFileSync(h.tokenFile, stale); // as if a backup were restored
    const out = await h.run(['refresh', '--json']);
    expect(out.code).toBe(4);
    expect(jsonOut(out).error).toMatchObject({ hh_error_description: 'token has already been refreshed', suggestion: expect.stringContaining('authorize-url') });
  });
});

describe('exit 5: rejected by hh.ru', () => {
  it('a wrong client secret is invalid_client', async () => {
    const callback = await h.authorize();
    const out = await h.run(['exchange', '-', '--json'], { input: callback, env: { HH_CLIENT_SECRET: 'wrong-secret-value' } });
    expect(out.code).toBe(5);
    expect(jsonOut(out).error).toMatchObject({ code: 'rejected', hh_error: 'invalid_client' });
  });

  it('an unknown hh.ru error is passed through as rejected', async () => {
    const callback = await h.authorize();
    h.sandbox.fault({ kind: 'unknown-error', path: '/token' });
    const out = await h.run(['exchange', '-', '--json'], { input: callback });
    expect(out.code).toBe(5);
    expect(jsonOut(out).error).toMatchObject({ hh_error: 'mystery_error' });
  });
});

describe('exit 6: temporary', () => {
  it('an HTML 503 block page, after the bounded retries, leaves the token file untouched', async () => {
    await h.login();
    await sleep(1100);
    const before = readFileSync(h.tokenFile);
    h.sandbox.fault({ kind: 'html', status: 503, path: '/token' });
    const out = await h.run(['refresh', '--json'], { env: { HH_HTTP_RETRIES: '1' } });
    expect(out.code).toBe(6);
    expect(jsonOut(out).error.code).toBe('temporary');
    expect(out.stderr).toContain('retrying');
    expect(readFileSync(h.tokenFile)).toEqual(before);
  });

  it('a server that never answers hits the per-attempt timeout', async () => {
    await h.login();
    await sleep(1100);
    h.sandbox.fault({ kind: 'hang', path: '/token' });
    const out = await h.run(['refresh'], { env: { HH_HTTP_TIMEOUT: '1' } });
    expect(out.code).toBe(6);
    expect(out.stderr).toContain('no answer within 1 s');
  });

  it('a 429 with Retry-After is waited out, then the refresh succeeds', async () => {
    await h.login();
    await sleep(1100);
    h.sandbox.fault({ kind: 'rate-limit', retryAfter: 1, path: '/token', times: 1 });
    const out = await h.run(['refresh', '--json'], { env: { HH_HTTP_RETRIES: '1' } });
    expect(out.code, out.stderr).toBe(0);
    expect(out.stderr).toContain('retrying in 1.0 s');
    expect(jsonOut(out).status).toBe('refreshed');
  });
});

describe('exit 7: token store', () => {
  it('a corrupt token file is reported and left byte-for-byte unchanged', async () => {
    writeTokenFile(h.tokenFile, '{"access_token": "abc", "refresh_tok');
    const out = await h.run(['refresh', '--json']);
    expect(out.code).toBe(7);
    expect(jsonOut(out).error).toMatchObject({ code: 'store', message: expect.stringContaining('not valid JSON') });
    expect(readFileSync(h.tokenFile, 'utf8')).toBe('{"access_token": "abc", "refresh_tok');
  });

  it('exchange over a corrupt file moves it aside, never deletes it', async () => {
    writeTokenFile(h.tokenFile, 'garbage');
    const callback = await h.authorize();
    const out = await h.run(['exchange', '-'], { input: callback });
    expect(out.code).toBe(0);
    expect(out.stderr).toMatch(/moved the damaged token file to .*token\.json\.corrupt-/);
    const aside = out.stderr.match(/to (\S+token\.json\.corrupt-\S+)/)![1]!;
    expect(readFileSync(aside, 'utf8')).toBe('garbage');
  });
});

describe('legacy token files (written by the old bash script)', () => {
  it('a file without expires_at expires at mtime + expires_in', async () => {
    await h.login();
    const data = JSON.parse(readFileSync(h.tokenFile, 'utf8'));
    delete data.expires_at;
    delete data.obtained_at;
    data.expires_in = 3600;
    writeFileSync(h.tokenFile, JSON.stringify(data));
    const past = new Date(Date.now() - 1800_000);
    utimesSync(h.tokenFile, past, past);
    const out = await h.run(['refresh', '--json']);
    expect(out.code).toBe(0);
    const doc = jsonOut(out);
    expect(doc.status).toBe('not_due');
    expect(Math.abs(Date.parse(doc.expires_at) - (past.getTime() + 3600_000))).toBeLessThan(2000);
  });
});
