import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Config } from '../../../src/config/config';
import { checkCallback } from '../../../src/doctor/remote';
import { diagnoseNetworkError, diagnosisCode } from '../../../src/login/request-failure';

/**
 * doctor's callback check and login's reachability probe judge a failed request to
 * HH_REDIRECT_URI with one function (src/login/request-failure.ts). doctor's own copy
 * used to call a resolver that did not answer (EAI_AGAIN) a missing DNS record (exit 3),
 * and a plain-HTTP port behind https:// (EPROTO) a temporary failure (exit 6).
 */
const REDIRECT = 'https://bot.example.com/callback';
const config = {
  get: (name: string) => (name === 'HH_REDIRECT_URI' ? { value: REDIRECT, origin: 'env' } : name === 'HH_HTTP_TIMEOUT' ? { value: '5', origin: 'default' } : undefined),
} as unknown as Config;
const fetchFailure = (code: string) => new TypeError('fetch failed', { cause: Object.assign(new Error(`connect ${code}`), { code }) });

afterEach(() => {
  vi.unstubAllGlobals();
});

async function doctorSees(err: unknown) {
  vi.stubGlobal('fetch', () => Promise.reject(err));
  return checkCallback(config);
}

describe('a failed request to the redirect URI', () => {
  it.each([
    ['EAI_AGAIN', 'temporary', /does not resolve \(DNS, EAI_AGAIN: the resolver did not answer\)/],
    ['ENOTFOUND', 'config', /does not resolve \(DNS, ENOTFOUND\)/],
    ['EAI_NONAME', 'config', /does not resolve \(DNS, EAI_NONAME\)/],
    ['EPROTO', 'config', /does not speak TLS \(EPROTO\)/],
    ['ERR_SSL_WRONG_VERSION_NUMBER', 'config', /does not speak TLS/],
    ['UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'config', /TLS certificate of bot\.example\.com was refused/],
    ['ECONNREFUSED', 'config', /nothing listens at https:\/\/bot\.example\.com \(connection refused\)/],
    ['UND_ERR_CONNECT_TIMEOUT', 'temporary', /no answer from https:\/\/bot\.example\.com within 5 s/],
    ['ECONNRESET', 'temporary', /failed \(ECONNRESET\)/],
  ])('%s: doctor fails the callback check as %s, with the same words and fix as login\'s probe', async (code, category, detail) => {
    const check = await doctorSees(fetchFailure(code));
    expect(check).toMatchObject({ name: 'callback', status: 'fail', code: category });
    expect(check.message).toMatch(/^https:\/\/bot\.example\.com\/callback is not reachable from here: /);
    expect(check.message).toMatch(detail);
    const probe = diagnoseNetworkError(fetchFailure(code), new URL(REDIRECT), 5);
    expect(diagnosisCode(probe)).toBe(category);
    expect(check.message).toContain(probe.detail);
    expect(check.fix).toBe(probe.hint);
  });

  it('a request that times out is temporary for both', async () => {
    const timeout = new DOMException('The operation was aborted due to timeout', 'TimeoutError');
    const check = await doctorSees(timeout);
    expect(check).toMatchObject({ status: 'fail', code: 'temporary' });
    expect(check.message).toContain('no answer from https://bot.example.com within 5 s');
    expect(check.fix).toContain('hairpin NAT');
  });
});
