import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findLeaks, jsonOut, quickLogin, sleep, useStandInCallback, useHarness } from '../helpers';

/**
 * What hh-oauth prints of what others wrote (issue 14, items 8, 10 and 11): an answer of
 * /me that is not JSON is no success; a broken config.json is not quoted back (it holds the
 * client secret); and hh.ru's words or a pasted URL's reach the terminal and the journal
 * without control characters, escape sequences or line breaks of their own.
 */
const h = useHarness({ expiresIn: 1 });
// A callback URL that answers, so that token-accepted is doctor's only failure.
const callback = useStandInCallback();
const JOURNAL = { JOURNAL_STREAM: '8:123456' };

describe('/me answering 200 with a body that is not JSON', () => {
  const bodies: Array<[string, Record<string, unknown>]> = [
    ['an HTML page (a proxy, the anti-DDoS layer)', { kind: 'html', status: 200, path: '/me' }],
    ['plain text', { kind: 'answer', status: 200, body: 'OK', headers: { 'content-type': 'text/plain' }, path: '/me' }],
    ['a JSON array', { kind: 'answer', status: 200, body: '[1,2]', headers: { 'content-type': 'application/json' }, path: '/me' }],
    ['nothing at all', { kind: 'answer', status: 200, body: '', path: '/me' }],
  ];

  it.each(bodies)('%s: whoami exits 6 (temporary) and prints no {}; doctor fails token-accepted with 6', async (_name, fault) => {
    await quickLogin(h);
    h.sandbox.fault(fault as never);
    const whoami = await h.run(['whoami', '--json']);
    expect(whoami.code, whoami.stderr).toBe(6);
    const { error } = jsonOut(whoami);
    expect(error.code).toBe('temporary');
    expect(error.message).toMatch(/GET \S+\/me: hh\.ru answered HTTP 200, but the body is not a JSON object/);
    h.sandbox.fault(fault as never);
    const human = await h.run(['whoami']);
    expect(human.code).toBe(6);
    expect(human.stdout).toBe('');

    h.sandbox.fault(fault as never);
    const doctor = await h.run(['doctor', '--json', '--skip-systemd', '--skip-nginx', '--no-refresh'], { env: { HH_REDIRECT_URI: callback.url } });
    const check = jsonOut(doctor).checks.find((c: { name: string }) => c.name === 'token-accepted');
    expect(check).toMatchObject({ status: 'fail', code: 'temporary' });
    expect(doctor.code).toBe(6);
  });
});

describe('a hand-broken config.json', () => {
  it('config set, unset, list and refresh say it is broken without quoting a byte of it', async () => {
    const secret = `cs-${'Zq8'.repeat(12)}`;
    const dir = join(h.dir, 'config');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    // Hand edits that broke it: V8's "Unexpected token" error quotes the 10 characters from
    // the mistake on (here: the secret that lost its quotes), the others give a position.
    const broken = [`{"client-id": "x", "client-secret": ${secret}}`, `{"client-secret": "${secret}" "client-id": "x"}`];
    const outs: Array<{ args: string[]; out: Awaited<ReturnType<typeof h.run>> }> = [];
    for (const text of broken) {
      writeFileSync(join(dir, 'config.json'), text, { mode: 0o600 });
      for (const args of [['config', 'set', 'http-timeout', '20'], ['config', 'unset', 'client-id'], ['config', 'list'], ['refresh'], ['profiles', 'set', 'manager-account', '5']]) {
        for (const json of [[], ['--json']]) outs.push({ args: [...args, ...json], out: await h.run([...args, ...json]) });
      }
    }
    expect(findLeaks(outs.flatMap(({ out }) => [out.stdout, out.stderr]), [secret])).toEqual([]);
    for (const { args, out } of outs) {
      expect(out.code, `${args.join(' ')}: ${out.stderr}`).toBe(3);
      expect(out.stderr).toMatch(/config\.json (are|is) not valid JSON/);
    }
  });
});

describe('control characters from others', () => {
  // An OSC that retitles the terminal, a CSI that clears it, a bell, a C1 CSI, and a line of
  // its own that pretends to be ours.
  const NASTY = 'bad\u001b]0;owned\u0007 \u001b[2J\u0007grant\u009b31m\r\nrefreshed: all is well\u0000';

  function expectClean(text: string): void {
    expect(text).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
    expect(text).not.toMatch(/^(<\d>)?refreshed: all is well/m);
  }

  it("hh.ru's error_description: no escape sequence or line of its own in the terminal or the journal; JSON keeps it, escaped", async () => {
    await quickLogin(h);
    await sleep(1100);
    const fault = { kind: 'answer', status: 400, body: { error: 'invalid_grant', error_description: NASTY }, path: '/token' };
    for (const env of [{}, JOURNAL, { FORCE_COLOR: '1' }]) {
      h.sandbox.fault(fault as never);
      const out = await h.run(['refresh'], { env });
      expect(out.code).toBe(5);
      expect(out.stderr).toContain('bad');
      const colourless = out.stderr.replace(/\u001b\[[0-9;]*m/g, '');
      expectClean(colourless);
      if ('JOURNAL_STREAM' in env) expect(out.stderr.split('\n').filter(Boolean).every((l) => /^<\d>/.test(l))).toBe(true);
    }
    h.sandbox.fault(fault as never);
    const json = await h.run(['refresh', '--json']);
    expect(json.stdout.trimEnd()).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
    expect(jsonOut(json).error.hh_error_description).toBe(NASTY);
    expectClean(json.stderr);
  });

  it("a pasted callback URL's error: no escape sequence or line of its own", async () => {
    const url = `http://127.0.0.1:8400/callback?error=${encodeURIComponent(NASTY)}&error_description=${encodeURIComponent(NASTY)}`;
    for (const env of [{}, JOURNAL]) {
      const out = await h.run(['exchange', '-'], { input: url, env });
      expect(out.code).toBe(4);
      expect(out.stderr).toContain('bad');
      expectClean(out.stderr);
    }
  });

  it("/me's names on stdout: whoami prints them without escape sequences", async () => {
    await quickLogin(h);
    h.sandbox.fault({ kind: 'answer', status: 200, body: { id: '1', first_name: NASTY, last_name: 'X', email: 'a@b.c', auth_type: 'employer' }, path: '/me' } as never);
    const out = await h.run(['whoami']);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toContain('bad');
    expectClean(out.stdout);
  });
});
