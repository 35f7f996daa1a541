import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCallbackInput } from '../../src/authorize/callback-input';
import { parseEnvFile } from '../../src/config/env-file';
import { HhOauthError } from '../../src/errors';
import { apiError, tokenEndpointError } from '../../src/hh/errors';
import { parseRetryAfter } from '../../src/hh/http';
import { redirectUriAllowed } from '../../src/sandbox/redirect-uri';
import { renderTemplate, type Dialect } from '../../src/install/templates';
import * as v from '../../src/install/values';
import { parseTokenFile, recordFromGrant } from '../../src/token/record';

/**
 * Property-based tests of every parser that reads outside input. Each property runs
 * thousands of generated inputs; the only exception any of them may throw is the
 * project's own HhOauthError (which the CLI turns into a documented exit code) —
 * anything else would reach the operator as "internal error", exit 1.
 * Counts are reported by the last test so the figures in docs/reliability.md come from a run.
 */
const RUNS = 3000;
let inputs = 0;
const counted = <T>(arb: fc.Arbitrary<T>) => arb.map((v) => (inputs++, v));

function ours(fn: () => unknown, code?: HhOauthError['code']): unknown {
  try {
    return fn();
  } catch (err) {
    if (!(err instanceof HhOauthError)) throw new Error(`threw a foreign error: ${String(err)}`, { cause: err });
    if (code && err.code !== code) throw new Error(`threw ${err.code}, expected ${code}: ${err.message}`);
    return err;
  }
}

const anyText = fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), fc.string({ unit: 'grapheme-ascii', maxLength: 200 }));
const mtime = fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true });

describe('fuzz: the token-file reader (parseTokenFile)', () => {
  const valid = {
    access_token: 'USERAAAA',
    token_type: 'bearer',
    expires_in: 1209600,
    refresh_token: 'USERBBBB',
    obtained_at: '2026-11-23T09:00:00.000Z',
    expires_at: '2026-12-07T09:00:00.000Z',
  };
  const fieldValue = fc.oneof(fc.jsonValue(), fc.double(), fc.string(), fc.constantFrom('', '2026-13-45', '+275760-09-13T00:00:00.000Z', '-271821-04-20T00:00:00.000Z', 1e300, -1, 0, Number.MAX_VALUE));
  // A valid file with some fields replaced, dropped or added.
  const mutated = fc
    .record({
      replace: fc.dictionary(fc.constantFrom(...Object.keys(valid)), fieldValue),
      drop: fc.subarray(Object.keys(valid)),
      extra: fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue()),
    })
    .map(({ replace, drop, extra }) => {
      const doc: Record<string, unknown> = { ...extra, ...valid, ...replace };
      for (const key of drop) delete doc[key];
      return JSON.stringify(doc);
    });
  const truncated = fc.nat({ max: 400 }).map((n) => JSON.stringify(valid, null, 2).slice(0, n));
  // Files from the old bash tooling: no expires_at, so expiry is (obtained_at or mtime) + expires_in.
  const legacy = fc
    .record({ expires_in: fieldValue, obtained_at: fc.option(fieldValue, { nil: undefined }) })
    .map(({ expires_in, obtained_at }) => JSON.stringify({ access_token: 'USERAAAA', refresh_token: 'USERBBBB', expires_in, obtained_at }));
  const text = fc.oneof(anyText, fc.json(), mutated, truncated, legacy);

  it('returns a usable record or throws a store error, for any text', () => {
    let read = 0;
    fc.assert(
      fc.property(counted(text), mtime, (t, m) => {
        const out = ours(() => parseTokenFile(t, m, '/x/token.json'), 'store');
        if (out instanceof HhOauthError) {
          expect(out.message).toMatch(/^\/x\/token\.json is corrupt: /);
          expect(out.suggestion).toBeTruthy();
          return;
        }
        read++;
        const record = out as ReturnType<typeof parseTokenFile>;
        expect(typeof record.accessToken === 'string' && record.accessToken !== '').toBe(true);
        expect(typeof record.refreshToken === 'string' && record.refreshToken !== '').toBe(true);
        // Callers print it and compare it: an Invalid Date would throw RangeError there (exit 1).
        expect(Number.isNaN(record.expiresAt.getTime())).toBe(false);
        expect(() => record.expiresAt.toISOString()).not.toThrow();
      }),
      { numRuns: RUNS * 2 },
    );
    // Not vacuous: the checks on a usable record ran for a good share of the inputs.
    expect(read).toBeGreaterThan(RUNS / 20);
  });

  it('recordFromGrant never throws for any expires_in a validated grant can carry', () => {
    fc.assert(
      fc.property(counted(fc.double({ min: Number.MIN_VALUE, noNaN: true, noDefaultInfinity: true })), mtime, (expiresIn, obtained) => {
        const record = ours(() => recordFromGrant({ access_token: 'A', refresh_token: 'R', expires_in: expiresIn }, obtained));
        expect(record).not.toBeInstanceOf(HhOauthError);
        const reread = ours(() => parseTokenFile(JSON.stringify(record), obtained));
        expect(reread).not.toBeInstanceOf(HhOauthError);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('fuzz: the callback-URL parser (parseCallbackInput)', () => {
  const param = fc.oneof(fc.constantFrom('code', 'state', 'error', 'error_description', 'x'), fc.string({ maxLength: 8 }));
  const value = fc.oneof(fc.stringMatching(/^[A-Z0-9]{1,64}$/), fc.string({ maxLength: 30 }), fc.constantFrom('%', '%zz', '%E0%A4%A', '\u{d800}', ''));
  const query = fc.array(fc.tuple(param, value), { maxLength: 6 }).map((pairs) => pairs.map(([k, v]) => `${k}=${v}`).join('&'));
  const urlish = fc.tuple(fc.constantFrom('https://example.com/cb', 'http://127.0.0.1:8400/callback', 'HTTPS://X', 'http://[::1', 'http://', '?', '', 'ftp://x/'), fc.constantFrom('?', '', '#', '??'), query, fc.constantFrom('', '#frag', ' trailing', '\n')).map((parts) => parts.join(''));
  const input = fc.oneof(anyText, fc.webUrl({ withQueryParameters: true, withFragments: true }), urlish, query);

  it('returns a code or an error, or throws a usage error, for any input', () => {
    let read = 0;
    fc.assert(
      fc.property(counted(input), (raw) => {
        const out = ours(() => parseCallbackInput(raw), 'usage');
        if (out instanceof HhOauthError) {
          expect(out.message.length).toBeGreaterThan(0);
          return;
        }
        read++;
        const cb = out as ReturnType<typeof parseCallbackInput>;
        expect(cb.code !== undefined || cb.error !== undefined).toBe(true);
        if (cb.code !== undefined) expect(cb.code).toMatch(/^[A-Za-z0-9._~+/=-]{1,1024}$/);
      }),
      { numRuns: RUNS * 2 },
    );
    expect(read).toBeGreaterThan(RUNS / 20);
  });

  it('reads back code and state from any well-formed callback URL', () => {
    fc.assert(
      fc.property(counted(fc.tuple(fc.webUrl(), fc.stringMatching(/^[A-Z0-9]{1,64}$/), fc.stringMatching(/^[A-Za-z0-9]{1,32}$/))), ([base, code, state]) => {
        const url = new URL(base);
        url.search = '';
        url.hash = '';
        url.searchParams.set('code', code);
        url.searchParams.set('state', state);
        expect(parseCallbackInput(url.toString())).toMatchObject({ code, state });
      }),
      { numRuns: RUNS },
    );
  });
});

describe('fuzz: the redirect-URI rules (redirectUriAllowed)', () => {
  const uri = fc.oneof(anyText, fc.webUrl({ withQueryParameters: true, withFragments: true }), fc.webUrl({ validSchemes: ['http', 'https'], authoritySettings: { withPort: true, withUserInfo: true, withIPv6: true, withIPv4: true } }));

  it('never throws, and always answers a boolean, even for non-strings', () => {
    fc.assert(
      fc.property(counted(fc.oneof(uri, fc.anything() as fc.Arbitrary<never>)), counted(fc.oneof(uri, fc.anything() as fc.Arbitrary<never>)), (registered, requested) => {
        const answer = redirectUriAllowed(registered as string, requested as string);
        expect(typeof answer).toBe('boolean');
      }),
      { numRuns: RUNS * 2 },
    );
  });

  const plain = fc.webUrl({ validSchemes: ['http', 'https'], withQueryParameters: true });
  it('allows a registered URI itself, and refuses it with another scheme or under a look-alike domain', () => {
    fc.assert(
      fc.property(counted(plain), (registered) => {
        expect(redirectUriAllowed(registered, registered)).toBe(true);
        const flipped = registered.startsWith('https:') ? registered.replace(/^https:/, 'http:') : registered.replace(/^http:/, 'https:');
        expect(redirectUriAllowed(registered, flipped)).toBe(false);
        const url = new URL(registered);
        url.hostname = `evil${url.hostname.replace(/^\[|\]$/g, '').replace(/:/g, '')}.test`;
        expect(redirectUriAllowed(registered, url.toString())).toBe(false);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('fuzz: the env-file parser (parseEnvFile)', () => {
  const key = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,20}$/);
  const lineish = fc.oneof(
    fc.tuple(fc.constantFrom('', 'export ', ' '), key, fc.constantFrom('=', ' =', '= '), fc.string({ maxLength: 40 })).map((p) => p.join('')),
    anyText,
    fc.constantFrom('#', '"', "'", '$(id)', '`id`', '\\', 'A="x', "A='x", 'A=x y', 'A="$HOME"', 'A=\'x\' tail', '\r', '\u0000'),
  );
  const text = fc.oneof(anyText, fc.array(lineish, { maxLength: 8 }).map((lines) => lines.join('\n')));

  it('returns plain string values or throws a config error, for any text', () => {
    let values = 0;
    fc.assert(
      fc.property(counted(text), (t) => {
        const out = ours(() => parseEnvFile(t, 'env file'), 'config');
        if (out instanceof HhOauthError) {
          expect(out.message).toMatch(/^env file line \d+: /);
          return;
        }
        for (const value of Object.values(out as Record<string, string>)) {
          values++;
          expect(typeof value).toBe('string');
        }
      }),
      { numRuns: RUNS * 2 },
    );
    // Few generated files parse (most lines here are refused), but some must, or the check above never ran.
    expect(values).toBeGreaterThan(5);
  });

  const value = fc.string({ unit: 'grapheme', maxLength: 40 }).filter((v) => !/[\r\n]/.test(v));
  it("reads back any value written as KEY='…' or KEY=\"…\" (with \\ \" $ ` escaped)", () => {
    fc.assert(
      fc.property(counted(fc.dictionary(key, value, { maxKeys: 6 })), fc.boolean(), (env, double) => {
        const lines = Object.entries(env).map(([k, v]) =>
          double || v.includes("'") ? `${k}="${v.replace(/[\\"$`]/g, '\\$&')}"` : `${k}='${v}'`,
        );
        expect(parseEnvFile(lines.join('\n'))).toEqual({ ...env });
      }),
      { numRuns: RUNS },
    );
  });

  it('never echoes a refused value in its error message (it may be a secret)', () => {
    const secretish = fc.stringMatching(/^[A-Za-z0-9]{12,30}$/);
    const bad = fc.constantFrom((s: string) => `${s} ${s}`, (s: string) => `"${s}`, (s: string) => `'${s}`, (s: string) => `"$${s}"`, (s: string) => `${s}\`x\``, (s: string) => `'${s}' ${s}`);
    fc.assert(
      fc.property(counted(secretish), bad, key, (secret, shape, k) => {
        const out = ours(() => parseEnvFile(`${k}=${shape(secret)}`), 'config');
        expect(out).toBeInstanceOf(HhOauthError);
        expect(`${(out as HhOauthError).message} ${(out as HhOauthError).suggestion}`).not.toContain(secret);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('fuzz: the template value validators (src/install/values.ts)', () => {
  // Where install-units puts each value: the dialect of the file, and the escaping it applies.
  const tricky = fc.string({ unit: fc.constantFrom(...'aZ09/ .-_:;{}[]()%"\'\\$#`*~,@=!?<>|&\n\r\t\u0000\u2028\u00a0é€'.split('')), maxLength: 40 });
  // The templates' own markers inside an otherwise good value (found: a hook command with "{{" passed, then rendering failed with exit 1).
  const templateSyntax = fc.tuple(fc.constantFrom('/usr/bin/notify', 'example.com', '/var/log/hh', 'hh', 'daily'), fc.constantFrom(' {{x}}', '{{', '}}', '{{#if a}}', ' {{/if}}')).map(([a, b]) => a + b);
  const port = fc.integer({ min: 0, max: 70000 });
  const hostPort = fc.tuple(fc.oneof(fc.domain(), fc.ipV4(), fc.ipV6().map((a) => `[${a}]`), tricky), port).map(([host, p]) => `${host}:${p}`);
  const path = fc.array(fc.oneof(fc.stringMatching(/^[a-z0-9._-]{1,12}$/), tricky), { maxLength: 5 }).map((parts) => `/${parts.join('/')}`);
  // Where install-units puts each value (the dialect of the file and the escaping it applies), and inputs near its language.
  const inserted: Array<[string, (s: string) => v.Checked<unknown>, Dialect, (s: string) => string, fc.Arbitrary<string>]> = [
    ['checkHostname', v.checkHostname, 'nginx', (s) => s, fc.oneof(fc.domain(), fc.ipV4())],
    ['checkHostPort', v.checkHostPort, 'nginx', (s) => s, hostPort],
    ['checkListen', v.checkListen, 'nginx', (s) => s, fc.oneof(port.map(String), hostPort)],
    ['checkNginxPath', v.checkNginxPath, 'nginx', (s) => s, path],
    ['checkAbsolutePath', v.checkAbsolutePath, 'systemd', v.systemdArg, path],
    ['checkAccountName', v.checkAccountName, 'systemd', (s) => s, fc.stringMatching(/^[a-z_][a-z0-9_-]{0,33}\$?$/)],
    ['checkCalendarChars', v.checkCalendarChars, 'systemd', v.systemdValue, fc.constantFrom('*-*-* 17:00:00', 'daily', 'Mon..Fri 09:00', 'hourly', '*:0/15')],
    ['checkCalendarPattern', v.checkCalendarPattern, 'systemd', v.systemdValue, fc.constantFrom('*-*-* 17:00:00', 'daily', 'Mon..Fri 09:00', 'weekly', '*-*-* 00/4:00')],
    ['checkHookCommand', v.checkHookCommand, 'systemd', v.systemdValue, fc.array(fc.oneof(path, fc.stringMatching(/^[a-z%-]{1,8}$/), tricky), { minLength: 1, maxLength: 4 }).map((w) => w.join(' '))],
  ];

  it.each(inserted)('%s never throws, and what it accepts renders as one line of its file that the guard accepts', (_name, check, dialect, escape, near) => {
    let accepted = 0;
    fc.assert(
      fc.property(counted(fc.oneof(anyText, tricky, near, near, templateSyntax)), (raw) => {
        let verdict: v.Checked<unknown>;
        expect(() => (verdict = check(raw))).not.toThrow();
        if (!verdict!.ok) {
          expect(typeof verdict!.reason).toBe('string');
          expect(verdict!.reason.length).toBeGreaterThan(0);
          return;
        }
        accepted++;
        const text = renderTemplate('Key={{value}}', { value: escape(String(verdict!.value)) }, dialect);
        expect(text.split('\n')).toHaveLength(1);
      }),
      { numRuns: RUNS },
    );
    // Not vacuous: a good share of the inputs got through to the renderer.
    expect(accepted).toBeGreaterThan(RUNS / 20);
  });

  it('checkInterval never throws', () => {
    fc.assert(fc.property(counted(fc.oneof(anyText, fc.stringMatching(/^\d{1,6}(s|min|h|d)?$/))), (raw) => {
      expect(() => v.checkInterval(raw)).not.toThrow();
    }), { numRuns: RUNS });
  });
});

describe('fuzz: hh.ru answers (error mapping and Retry-After)', () => {
  it('maps any token-endpoint or API error body to one of our errors without throwing', () => {
    const body = fc.oneof(
      fc.jsonValue(),
      fc.record({ error: fc.oneof(fc.string(), fc.jsonValue()), error_description: fc.oneof(fc.string(), fc.jsonValue()) }, { requiredKeys: [] }),
      fc.record({
        errors: fc.oneof(fc.jsonValue(), fc.array(fc.record({
          type: fc.oneof(fc.string(), fc.constantFrom('oauth', 'captcha_required', 'manager_accounts', 'bad_user_agent', 'forbidden'), fc.jsonValue()),
          value: fc.oneof(fc.string(), fc.constantFrom('captcha_required', 'used_manager_account_forbidden', 'token_expired'), fc.jsonValue()),
          captcha_url: fc.oneof(fc.string(), fc.jsonValue()),
          fallback_url: fc.oneof(fc.string(), fc.jsonValue()),
          allowed_accounts: fc.oneof(fc.jsonValue(), fc.array(fc.jsonValue())),
        }, { requiredKeys: [] }))),
        oauth_error: fc.oneof(fc.constantFrom('token-expired', 'client-id-deleted'), fc.jsonValue()),
        description: fc.oneof(fc.string(), fc.jsonValue()),
        request_id: fc.oneof(fc.string(), fc.jsonValue()),
      }, { requiredKeys: ['errors'] }),
    );
    const context = fc.record({ grantType: fc.constantFrom('client_credentials', 'refresh_token'), lostAttempt: fc.string(), redirectUri: fc.string(), managerAccountId: fc.string() }, { requiredKeys: [] });
    fc.assert(
      fc.property(counted(fc.integer({ min: 100, max: 599 })), body, context, (status, b, ctx) => {
        expect(ours(() => tokenEndpointError(status, b, ctx))).toBeInstanceOf(HhOauthError);
        expect(ours(() => apiError(status, b, ctx))).toBeInstanceOf(HhOauthError);
      }),
      { numRuns: RUNS },
    );
  });

  it('reads any Retry-After header as undefined or a non-negative whole number of seconds', () => {
    let read = 0;
    fc.assert(
      fc.property(counted(fc.oneof(anyText, fc.nat().map(String), fc.date({ noInvalidDate: true }).map((d) => d.toUTCString()))), (header) => {
        const seconds = ours(() => parseRetryAfter(header));
        if (seconds === undefined) return;
        read++;
        expect(Number.isSafeInteger(seconds) && (seconds as number) >= 0).toBe(true);
      }),
      { numRuns: RUNS },
    );
    expect(read).toBeGreaterThan(RUNS / 20);
  });

  it('ran thousands of inputs in total', () => {
    console.log(`fuzz: ${inputs} generated inputs, only HhOauthError thrown`);
    expect(inputs).toBeGreaterThan(40_000);
  });
});
