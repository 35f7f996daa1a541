import { describe, expect, it } from 'vitest';
import { cleartextProblem, CREDENTIAL_URLS, isLoopbackHost, redirectCleartextWarning } from '../../../src/config/urls';
import { validateSettingValue } from '../../../src/config/setting-values';
import { HhOauthError } from '../../../src/errors';

/** The https rule for the URLs that carry credentials (docs/security/settings.md). */
describe('which hosts may be spoken to over http://', () => {
  it('loopback: 127.0.0.0/8, [::1] and localhost; nothing else, and no name is resolved', () => {
    for (const host of ['127.0.0.1', '127.255.0.9', '[::1]', 'localhost', 'LOCALHOST']) expect(isLoopbackHost(host), host).toBe(true);
    for (const host of ['128.0.0.1', '10.0.0.1', '[::2]', 'localhost.example.com', 'example.com', '127.0.0.1.nip.io', '']) expect(isLoopbackHost(host), host).toBe(false);
  });

  it('the WHATWG parser has already turned 127.1 and 0x7f.1 into 127.0.0.1: both loopback', () => {
    expect(cleartextProblem('HH_TOKEN_URL', 'http://127.1/token')).toBeUndefined();
    expect(cleartextProblem('HH_TOKEN_URL', 'http://0x7f.0.0.1:9/token')).toBeUndefined();
  });

  it('http:// elsewhere is a problem for exactly the three credential URLs, named by origin only', () => {
    expect(CREDENTIAL_URLS).toEqual(['HH_TOKEN_URL', 'HH_API_URL', 'HH_AUTHORIZE_URL']);
    expect(cleartextProblem('HH_TOKEN_URL', 'http://user:pw@api.example.com:8080/token?x=1')).toEqual({ origin: 'http://api.example.com:8080', carries: 'the refresh token, codes and the client secret' });
    expect(cleartextProblem('HH_API_URL', 'http://api.example.com')?.carries).toBe('access tokens');
    expect(cleartextProblem('HH_AUTHORIZE_URL', 'http://hh.example')?.carries).toBe("the operator's hh.ru login");
    expect(cleartextProblem('HH_TOKEN_URL', 'https://api.example.com/token')).toBeUndefined();
    expect(cleartextProblem('HH_REDIRECT_URI', 'http://bot.example.com/callback')).toBeUndefined();
  });

  it('a redirect URI over http elsewhere is a warning, not a refusal', () => {
    expect(redirectCleartextWarning('http://bot.example.com/callback')).toMatch(/^HH_REDIRECT_URI is http:\/\/bot\.example\.com: the authorization code would reach it unencrypted/);
    expect(redirectCleartextWarning('https://bot.example.com/callback')).toBeUndefined();
    expect(redirectCleartextWarning('http://127.0.0.1:8400/callback')).toBeUndefined();
  });

  it('config set validates the same way (exit 2, naming the key, never the value)', () => {
    let err: unknown;
    try {
      validateSettingValue('HH_API_URL', 'http://secret-host.example.com/');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(HhOauthError);
    expect((err as HhOauthError).code).toBe('usage');
    expect((err as HhOauthError).message).toBe('api-url: http:// would send access tokens to http://secret-host.example.com unencrypted');
    expect(validateSettingValue('HH_API_URL', 'http://[::1]:9/')).toBe('http://[::1]:9/');
  });
});
