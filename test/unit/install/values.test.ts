import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { guard } from '../../../src/install/templates';
import {
  checkAbsolutePath,
  checkAccountName,
  checkCalendarChars,
  checkCalendarPattern,
  checkHostname,
  checkHostPort,
  checkInterval,
  checkListen,
  checkNginxPath,
  systemdArg,
  systemdValue,
} from '../../../src/install/values';

/** The characters an attacker would use to add a directive to a unit or to nginx. */
const HOSTILE = ['a;b', 'a{b', 'a}b', 'a\nb', 'a\rb', 'a%b', 'a"b', "a'b", 'a b', 'a\\b', 'a$b', 'a#b', 'a\u0000b', 'a\u2028b'];

const accepted = <T>(r: { ok: boolean; value?: T }) => (r.ok ? r.value : undefined);

describe('validators (pure): what may reach a template', () => {
  it('hostnames: accepts DNS names and IPv4, lowercases; refuses every injection character', () => {
    expect(accepted(checkHostname('Bot.Example.COM'))).toBe('bot.example.com');
    expect(accepted(checkHostname('my-bot.keenetic.pro'))).toBe('my-bot.keenetic.pro');
    expect(accepted(checkHostname('127.0.0.1'))).toBe('127.0.0.1');
    for (const bad of ['', '-a.com', 'a-.com', 'a..b', '.a', 'a.', '999.1.1.1', 'x'.repeat(64) + '.com', ...HOSTILE]) {
      expect(checkHostname(bad).ok, JSON.stringify(bad)).toBe(false);
    }
    const r = checkHostname('bot.example.com;\n  include /etc/passwd');
    expect(r).toEqual({ ok: false, reason: expect.stringContaining('";"') });
  });

  it('host:port: hostnames, IPv4 and bracketed IPv6 with a port in 1..65535', () => {
    expect(accepted(checkHostPort('127.0.0.1:8400'))).toBe('127.0.0.1:8400');
    expect(accepted(checkHostPort('LOCALHOST:8000'))).toBe('localhost:8000');
    expect(accepted(checkHostPort('[::1]:8400'))).toBe('[::1]:8400');
    for (const bad of ['127.0.0.1', '127.0.0.1:0', '127.0.0.1:65536', '127.0.0.1:08', ':80', '[::g]:80', '[::1]', 'a:b:c', 'h:80;', ...HOSTILE.map((h) => `${h}:80`)]) {
      expect(checkHostPort(bad).ok, JSON.stringify(bad)).toBe(false);
    }
  });

  it('listen: a port or an IP address with a port', () => {
    expect(accepted(checkListen('80'))).toBe('80');
    expect(accepted(checkListen('127.0.0.1:8080'))).toBe('127.0.0.1:8080');
    expect(accepted(checkListen('[::]:80'))).toBe('[::]:80');
    for (const bad of ['0', '70000', 'example.com:80', '80 default_server', '80;', '']) expect(checkListen(bad).ok, bad).toBe(false);
  });

  it('paths: absolute, normalized, no quotes/backslash/$/;/{/}/#/: or control characters; inner spaces and % allowed', () => {
    expect(accepted(checkAbsolutePath('/opt/hh-oauth/bin/hh-oauth'))).toBe('/opt/hh-oauth/bin/hh-oauth');
    expect(accepted(checkAbsolutePath('/home/иван/bot/'))).toBe('/home/иван/bot');
    expect(accepted(checkAbsolutePath('/srv/my app/100%/x'))).toBe('/srv/my app/100%/x');
    for (const bad of ['relative/x', './x', '/a/../b', '/a//b', '/a/./b', '/a /b', '/a/ b', '/a/b ', '/a:b', ...HOSTILE.filter((h) => !/[ %]/.test(h)).map((h) => `/x/${h}`)]) {
      expect(checkAbsolutePath(bad).ok, JSON.stringify(bad)).toBe(false);
    }
    expect(checkAbsolutePath('/etc/x\nExecStartPre=/bin/sh')).toEqual({ ok: false, reason: expect.stringContaining('a newline') });
    expect(checkNginxPath('/var/log/my logs').ok).toBe(false);
    expect(accepted(checkNginxPath('/var/log/nginx'))).toBe('/var/log/nginx');
  });

  it('account names follow Debian useradd rules', () => {
    expect(accepted(checkAccountName('hh-oauth'))).toBe('hh-oauth');
    for (const bad of ['Root', '1abc', 'a b', 'a;b', 'a\nb', '', 'x'.repeat(33)]) expect(checkAccountName(bad).ok, bad).toBe(false);
  });

  it('calendar fallback pattern: common forms in, anything else out', () => {
    for (const good of ['*-*-* 17:00:00', 'daily', 'Mon..Fri 09:30', 'Mon,Wed *-*-* 9:00', '*:0/10', '2026-01-01 00:00:00', '*-*-* 17:00:00 Europe/Moscow', '*-*-* 17:00:00 UTC']) {
      expect(checkCalendarPattern(good).ok, good).toBe(true);
    }
    for (const bad of ['bogus', 'every day', '17', '*-*-* 17:00:00\nOnCalendar=minutely', '*-*-* 17:00:00;', '%H:00', '']) {
      expect(checkCalendarPattern(bad).ok, JSON.stringify(bad)).toBe(false);
    }
    expect(accepted(checkCalendarChars('  *-*-*   17:00 '))).toBe('*-*-* 17:00');
  });

  it('expiry interval: off, or a span between 1min and 24h', () => {
    expect(accepted(checkInterval('off'))).toBe('off');
    expect(accepted(checkInterval('10min'))).toEqual({ span: '10min', seconds: 600 });
    expect(accepted(checkInterval('600'))).toEqual({ span: '600s', seconds: 600 });
    for (const bad of ['0', '30s', '25h', '10 min', '10min;', '-5m', 'never']) expect(checkInterval(bad).ok, bad).toBe(false);
  });

  it('systemd escaping: % doubled, spaces quoted', () => {
    expect(systemdValue('/a/100%/b')).toBe('/a/100%%/b');
    expect(systemdArg('/a b/%n')).toBe('"/a b/%%n"');
    expect(systemdArg('/usr/bin/node')).toBe('/usr/bin/node');
  });
});

describe('fuzzing the validators against the renderer', () => {
  const anyText = fc.string({ unit: fc.constantFrom(...'ab/ .-_:;{}[]%"\'\\$#\n\r\u0000é1'.split('')), maxLength: 24 });
  // Hostnames, host:port and listen values are rarely hit by anyText alone: give them hosts and ports to start from.
  const host = fc.oneof(anyText, fc.ipV4(), fc.constantFrom('localhost', 'bot.example.com', '[::1]'));
  const withPort = fc.tuple(host, fc.integer({ min: 0, max: 70000 })).map(([h, p]) => `${h}:${p}`);

  it('a path that passes renders as exactly one ExecStart line that the guard accepts', () => {
    let accepted = 0;
    fc.assert(
      fc.property(anyText, (s) => {
        const path = checkAbsolutePath('/' + s);
        if (!path.ok) return;
        accepted++;
        const line = `ExecStart=${systemdArg(path.value)} refresh`;
        expect(line.split('\n')).toHaveLength(1);
        expect(() => guard(line, 'systemd', 'line')).not.toThrow();
      }),
      { numRuns: 2000 },
    );
    // Not vacuous: a share of the inputs passed and reached the guard.
    expect(accepted).toBeGreaterThan(50);
  });

  it('hostnames and host:port that pass are single nginx tokens', () => {
    const checks = { checkHostname, checkHostPort, checkListen, checkNginxPath: (s: string) => checkNginxPath('/' + s) };
    const accepted = Object.fromEntries(Object.keys(checks).map((name) => [name, 0]));
    fc.assert(
      fc.property(fc.oneof(anyText, host, withPort), (s) => {
        for (const [name, check] of Object.entries(checks)) {
          const r = check(s);
          if (!r.ok) continue;
          accepted[name]!++;
          expect(() => guard(String(r.value), 'nginx', 'value')).not.toThrow();
        }
      }),
      { numRuns: 2000 },
    );
    // Not vacuous for any of them (anyText alone never made a host:port that passes).
    for (const [name, count] of Object.entries(accepted)) expect(count, name).toBeGreaterThan(20);
  });
});
