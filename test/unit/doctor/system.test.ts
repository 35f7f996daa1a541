import { describe, expect, it } from 'vitest';
import { EXIT_CODES } from '../../../src/errors';
import { fail, pass, skip, worstFailure } from '../../../src/doctor/check';

const exitCodeFor = (checks: Parameters<typeof worstFailure>[0]) => { const w = worstFailure(checks); return w ? EXIT_CODES[w] : 0; };
import { clockCheck, clockSkewSeconds } from '../../../src/doctor/clock';
import { dumpIncludes, isMainConfig, nginxComplaint, stateWord, timersVerdict } from '../../../src/doctor/system';
import { HhOauthError } from '../../../src/errors';
import { hasContact, settingForKey, validateSettingValue } from '../../../src/config/setting-values';
import { thrownBy } from '../../helpers';

const at = (iso: string) => new Date(iso);
const sample = (serverIso: string, localIso: string) => ({ date: at(serverIso), receivedAt: at(localIso) });

describe('clock skew (pure: a sandbox clock cannot be faked)', () => {
  it('treats the Date header as truncated to the second', () => {
    expect(clockSkewSeconds(at('2026-01-01T00:00:00Z'), at('2026-01-01T00:00:00.400Z'))).toBe(0);
    expect(clockSkewSeconds(at('2026-01-01T00:00:00Z'), at('2026-01-01T00:00:00.999Z'))).toBe(0);
    expect(clockSkewSeconds(at('2026-01-01T00:00:00Z'), at('2026-01-01T00:00:30.500Z'))).toBe(30);
    expect(clockSkewSeconds(at('2026-01-01T00:01:00Z'), at('2026-01-01T00:00:00.500Z'))).toBe(-60);
  });

  it('passes within ±60 s and says which way', () => {
    const ahead = clockCheck(sample('2026-01-01T00:00:00Z', '2026-01-01T00:00:45.5Z'), 'api.hh.ru');
    expect(ahead).toMatchObject({ name: 'clock', status: 'pass', ok: true });
    expect(ahead.message).toMatch(/^45 s ahead of the Date of api\.hh\.ru/);
    const behind = clockCheck(sample('2026-01-01T00:01:00Z', '2026-01-01T00:00:00.5Z'), 'api.hh.ru');
    expect(behind).toMatchObject({ status: 'pass' });
    expect(behind.message).toMatch(/^60 s behind/);
    expect(clockCheck(sample('2026-01-01T00:00:00Z', '2026-01-01T00:00:00.7Z'), 'x').message).toMatch(/^in step with/);
  });

  it('fails beyond ±60 s with the consequence and a fix', () => {
    const ahead = clockCheck(sample('2026-01-01T00:00:00Z', '2026-01-01T00:01:01.5Z'), 'api.hh.ru');
    expect(ahead).toMatchObject({ status: 'fail', ok: false, code: 'config' });
    expect(ahead.message).toContain('61 s ahead');
    expect(ahead.message).toContain('before hh.ru allows it');
    expect(ahead.fix).toContain('timedatectl set-ntp true');
    const behind = clockCheck(sample('2026-01-01T00:05:00Z', '2026-01-01T00:00:00.5Z'), 'api.hh.ru');
    expect(behind.message).toContain('5 min 0 s behind');
    expect(behind.message).toContain('stay dead');
  });
});

describe('doctor exit code', () => {
  const f = (code: Parameters<typeof fail>[1]) => fail('x', code, 'm', 'f');
  it('is 0 when nothing failed, skips included', () => {
    expect(exitCodeFor([pass('a', 'm'), skip('b', 'm')])).toBe(0);
  });
  it('is the most serious failure: store > reauthorize > rejected > config > temporary', () => {
    expect(exitCodeFor([f('temporary'), f('config')])).toBe(3);
    expect(exitCodeFor([f('config'), f('reauthorize')])).toBe(4);
    expect(exitCodeFor([f('reauthorize'), f('store'), f('config')])).toBe(7);
    expect(exitCodeFor([f('temporary')])).toBe(6);
    expect(exitCodeFor([f('temporary'), f('internal')])).toBe(1);
  });
});

describe('timer states from systemctl', () => {
  it('reads the word systemctl prints, or what its complaint means', () => {
    expect(stateWord({ missing: false, exitCode: 0, stdout: 'enabled\n', stderr: '' })).toBe('enabled');
    expect(stateWord({ missing: false, exitCode: 1, stdout: '', stderr: 'Failed to get unit file state for hh-oauth-refresh.timer: No such file or directory' })).toBe('not-found');
    expect(stateWord({ missing: false, exitCode: 1, stdout: '', stderr: "System has not been booted with systemd as init system (PID 1). Can't operate.\nFailed to connect to bus: Host is down" })).toBe('no-systemd');
  });

  it('passes only when both timers are enabled and active', () => {
    const ok = timersVerdict([
      { unit: 'hh-oauth-refresh.timer', enabled: 'enabled', active: 'active' },
      { unit: 'hh-oauth-expiry.timer', enabled: 'enabled', active: 'active' },
    ]);
    expect(ok.status).toBe('pass');
    const off = timersVerdict([
      { unit: 'hh-oauth-refresh.timer', enabled: 'enabled', active: 'inactive' },
      { unit: 'hh-oauth-expiry.timer', enabled: 'disabled' },
    ]);
    expect(off).toMatchObject({ status: 'fail', code: 'config' });
    expect(off.message).toContain('hh-oauth-expiry.timer is disabled');
    expect(off.message).toContain('hh-oauth-refresh.timer is enabled but inactive');
    expect(off.fix).toContain('systemctl enable --now hh-oauth-refresh.timer hh-oauth-expiry.timer');
    const missing = timersVerdict([
      { unit: 'hh-oauth-refresh.timer', enabled: 'not-found' },
      { unit: 'hh-oauth-expiry.timer', enabled: 'not-found' },
    ]);
    expect(missing.message).toContain('are not installed');
    expect(missing.fix).toContain('install-units');
    const container = timersVerdict([
      { unit: 'hh-oauth-refresh.timer', enabled: 'enabled', active: 'no-systemd' },
      { unit: 'hh-oauth-expiry.timer', enabled: 'enabled', active: 'no-systemd' },
    ]);
    expect(container.message).toContain('systemd is not running');
    expect(container.fix).toContain('--skip-systemd');
  });
});

describe('nginx helpers', () => {
  it('tells a whole nginx.conf from a server block', () => {
    expect(isMainConfig('events {}\nhttp {\n  server {}\n}\n')).toBe(true);
    expect(isMainConfig('limit_req_zone $a zone=z:1m rate=1r/s;\nserver {\n  listen 80;\n}\n')).toBe(false);
  });
  it('finds the loaded file in `nginx -T` output, exactly', () => {
    const dump = '# configuration file /etc/nginx/nginx.conf:\n...\n# configuration file /etc/nginx/sites-enabled/hh-oauth.conf:\nserver {}\n';
    expect(dumpIncludes(dump, '/etc/nginx/sites-enabled/hh-oauth.conf')).toBe(true);
    expect(dumpIncludes(dump, '/etc/nginx/sites-enabled/hh-oauth')).toBe(false);
  });
  it('keeps the [emerg] line without its timestamp', () => {
    const stderr = 'nginx: [alert] could not open error log file\n2026/11/23 11:15:57 [emerg] 12539#12539: unknown directive "bogus" in /tmp/x.conf:1\nnginx: configuration file /tmp/n.conf test failed\n';
    expect(nginxComplaint(stderr)).toBe('[emerg] unknown directive "bogus" in /tmp/x.conf:1');
  });
});

describe('config keys and values', () => {
  it('accepts the key or the variable name, and lists the keys otherwise', () => {
    expect(settingForKey('client-id')).toBe('HH_CLIENT_ID');
    expect(settingForKey('HH_REDIRECT_URI')).toBe('HH_REDIRECT_URI');
    const err = thrownBy(() => settingForKey('clientid')) as HhOauthError | undefined;
    expect(err).toBeInstanceOf(HhOauthError);
    expect(err!.exitCode).toBe(2);
    expect(err!.suggestion).toContain('client-id, client-secret');
  });

  it('validates at the edge: URLs, one-line values, numbers; makes paths absolute', () => {
    const bad = (name: Parameters<typeof validateSettingValue>[0], value: string) => () => validateSettingValue(name, value);
    expect(bad('HH_REDIRECT_URI', 'ftp://example.com/cb')).toThrow(/not an http\(s\) URL/);
    expect(bad('HH_API_URL', 'api.hh.ru')).toThrow(/not an http\(s\) URL/);
    expect(bad('HH_USER_AGENT', 'Bot/1.0 (a@b.c)\r\nX-Evil: 1')).toThrow(/one line/);
    expect(bad('HH_HTTP_TIMEOUT', '0')).toThrow(/positive number/);
    expect(bad('HH_HTTP_TIMEOUT', '10000000000')).toThrow(/at most 2147483/);
    expect(bad('HH_HTTP_RETRIES', '-1')).toThrow(/whole number/);
    expect(bad('HH_CLIENT_ID', 'two words')).toThrow(/without spaces/);
    expect(bad('HH_CLIENT_ID', '')).toThrow(/empty/);
    expect(validateSettingValue('HH_TOKEN_URL', 'http://127.0.0.1:8300/token')).toBe('http://127.0.0.1:8300/token');
    expect(validateSettingValue('HH_TOKEN_FILE', 'state/token.json')).toBe(`${process.cwd()}/state/token.json`);
    expect(validateSettingValue('HH_HTTP_RETRIES', '0')).toBe('0');
  });

  it('knows a User-Agent with a contact from one without', () => {
    expect(hasContact('MyBot/1.0 (ops@example.com)')).toBe(true);
    expect(hasContact('MyBot/1.0 (+https://example.com; ops@example.com)')).toBe(true);
    expect(hasContact('MyBot/1.0 ops@example.com')).toBe(false);
    expect(hasContact('MyBot/1.0 (ops)')).toBe(false);
    expect(hasContact('hh-oauth/0.1.0')).toBe(false);
  });
});
