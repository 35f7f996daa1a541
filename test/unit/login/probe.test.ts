import { describe, expect, it } from 'vitest';
import { diagnoseResponse } from '../../../src/login/probe';
import { diagnoseNetworkError } from '../../../src/login/request-failure';

describe('probe diagnosis: the cause of a failed request to HH_REDIRECT_URI, and whether it is temporary', () => {
  const url = new URL('https://example.keenetic.pro/callback');
  const fetchFailure = (code: string) => new TypeError('fetch failed', { cause: Object.assign(new Error(code), { code }) });

  it.each([
    ['ENOTFOUND', 'dns', false],
    ['EAI_AGAIN', 'dns', true],
    ['CERT_HAS_EXPIRED', 'tls', false],
    ['ERR_TLS_CERT_ALTNAME_INVALID', 'tls', false],
    ['DEPTH_ZERO_SELF_SIGNED_CERT', 'tls', false],
    ['ERR_SSL_WRONG_VERSION_NUMBER', 'tls', false],
    ['ECONNREFUSED', 'refused', false],
    ['UND_ERR_CONNECT_TIMEOUT', 'timeout', true],
    ['ECONNRESET', 'other', true],
  ])('%s → %s', (code, cause, temporary) => {
    expect(diagnoseNetworkError(fetchFailure(code), url, 15)).toMatchObject({ cause, temporary });
  });

  it('an aborted probe is a timeout', () => {
    const err = new DOMException('The operation was aborted due to timeout', 'TimeoutError');
    expect(diagnoseNetworkError(err, url, 15)).toMatchObject({ cause: 'timeout', detail: expect.stringContaining('within 15 s') });
  });

  it.each([
    [502, 'upstream'],
    [504, 'upstream'],
    [404, 'not-routed'],
    [200, 'http'],
    [403, 'http'],
  ])('HTTP %d that never reached the listener → %s', (status, cause) => {
    const d = diagnoseResponse(status, 'nginx/1.22.1', url, { host: '127.0.0.1', port: 8400 });
    expect(d.cause).toBe(cause);
    if (cause === 'upstream') expect(d.hint).toContain('proxy_pass http://127.0.0.1:8400;');
  });

  it('HTTP 429 is the rate limit, not another service: it says when to try again (Retry-After when given, else nginx\'s 10 s)', () => {
    const listen = { host: '127.0.0.1', port: 8400 };
    const nginx = diagnoseResponse(429, 'nginx/1.22.1', url, listen);
    expect(nginx).toMatchObject({ cause: 'rate-limited', temporary: true });
    expect(nginx.detail).toContain('its rate limit refused the probe');
    expect(nginx.hint).toMatch(/^wait 10 s and run `hh-oauth login --check-only` again; .*limit_req, burst 5/);
    for (const d of [nginx, diagnoseResponse(429, null, url, listen, '30')]) expect(`${d.detail} ${d.hint}`).not.toContain('another service');
    expect(diagnoseResponse(429, null, url, listen, '30').hint).toBe('wait 30 s and run `hh-oauth login --check-only` again; as its Retry-After asks');
    // An absurd Retry-After is not repeated.
    expect(diagnoseResponse(429, null, url, listen, '99999999').hint).toMatch(/^wait 10 s/);
  });

  it('does not repeat an unprintable Server header', () => {
    expect(diagnoseResponse(502, 'evil\u001b[31m', url, { host: '127.0.0.1', port: 8400 }).detail).not.toContain('\u001b');
  });
});
