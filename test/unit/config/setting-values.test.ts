import { describe, expect, it } from 'vitest';
import { hasContact, settingForKey, validateSettingValue } from '../../../src/config/setting-values';
import { HhOauthError } from '../../../src/errors';
import { thrownBy } from '../../helpers';

describe('setting keys and values: key or variable name, validation at the edge, a User-Agent with a contact', () => {
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
