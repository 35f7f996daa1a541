import { describe, expect, it } from 'vitest';
import { redirectUriAllowed } from '../../../src/sandbox/index';

const REGISTERED = 'http://example.com/oauth';

describe('redirectUriAllowed: the examples from hh.ru documentation', () => {
  it.each([
    ['http://example.com/oauth', 'the registered URI itself'],
    ['http://www.example.com/oauth', 'subdomain'],
    ['http://www.example.com/oauth/sub/path', 'subdomain and longer path'],
    ['http://example.com/oauth/sub/path', 'longer path'],
    ['http://example.com/oauth?lang=RU', 'extra parameter'],
    ['http://www.example.com/oauth/sub/path?lang=RU', 'all at once'],
  ])('allows %s (%s)', (requested) => {
    expect(redirectUriAllowed(REGISTERED, requested)).toBe(true);
  });

  it.each([
    ['https://example.com/oauth', 'another scheme'],
    ['http://wwwexample.com/oauth', 'another domain'],
    ['http://wwwexample.com/', 'another domain and path'],
    ['http://example.com/oauths', 'another path'],
    ['http://example.com:80/oauths', 'a port that was not registered (and another path)'],
    ['http://example.com:80/oauth', 'a port that was not registered, even the default one'],
    ['http://example.com:8080/oauth', 'a port that was not registered'],
  ])('refuses %s (%s)', (requested) => {
    expect(redirectUriAllowed(REGISTERED, requested)).toBe(false);
  });
});

describe('redirectUriAllowed: edge cases', () => {
  it('requires the same port when one is registered', () => {
    const reg = 'http://127.0.0.1:8400/callback';
    expect(redirectUriAllowed(reg, 'http://127.0.0.1:8400/callback')).toBe(true);
    expect(redirectUriAllowed(reg, 'http://127.0.0.1:8401/callback')).toBe(false);
    expect(redirectUriAllowed(reg, 'http://127.0.0.1/callback')).toBe(false);
  });

  it('treats loopback spellings as different hosts', () => {
    expect(redirectUriAllowed('http://127.0.0.1:8400/cb', 'http://localhost:8400/cb')).toBe(false);
    expect(redirectUriAllowed('http://127.0.0.1:8400/cb', 'http://[::1]:8400/cb')).toBe(false);
    expect(redirectUriAllowed('http://[::1]:8400/cb', 'http://[::1]:8400/cb/x')).toBe(true);
  });

  it('refuses a host that only ends with the registered name', () => {
    expect(redirectUriAllowed(REGISTERED, 'http://evilexample.com/oauth')).toBe(false);
    expect(redirectUriAllowed(REGISTERED, 'http://example.com.evil.org/oauth')).toBe(false);
  });

  it('compares host names case-insensitively, as URLs do', () => {
    expect(redirectUriAllowed(REGISTERED, 'http://WWW.Example.COM/oauth')).toBe(true);
  });

  it('does not let dot segments escape the registered path', () => {
    expect(redirectUriAllowed(REGISTERED, 'http://example.com/oauth/../admin')).toBe(false);
    expect(redirectUriAllowed(REGISTERED, 'http://example.com/oauth/%2e%2e/admin')).toBe(false);
  });

  it('allows any path under a registered root and a trailing-slash path only under it', () => {
    expect(redirectUriAllowed('http://example.com/', 'http://example.com/anything')).toBe(true);
    expect(redirectUriAllowed('http://example.com/oauth/', 'http://example.com/oauth/x')).toBe(true);
    expect(redirectUriAllowed('http://example.com/oauth/', 'http://example.com/oauth')).toBe(false);
  });

  it('keeps parameters of a registered query mandatory', () => {
    const reg = 'http://example.com/oauth?app=1';
    expect(redirectUriAllowed(reg, 'http://example.com/oauth?app=1&lang=RU')).toBe(true);
    expect(redirectUriAllowed(reg, 'http://example.com/oauth?lang=RU')).toBe(false);
  });

  it('refuses fragments and credentials', () => {
    expect(redirectUriAllowed(REGISTERED, 'http://example.com/oauth#x')).toBe(false);
    expect(redirectUriAllowed(REGISTERED, 'http://example.com/oauth#')).toBe(false);
    expect(redirectUriAllowed(REGISTERED, 'http://user:pw@example.com/oauth')).toBe(false);
  });

  it.each([
    ['', REGISTERED],
    [REGISTERED, ''],
    [REGISTERED, 'not a url'],
    [REGISTERED, '/oauth'],
    [REGISTERED, 'example.com/oauth'],
    [REGISTERED, 'mailto:a@example.com'],
    ['::::', REGISTERED],
    [REGISTERED, 'http://'],
  ])('refuses non-URL input without throwing (%j, %j)', (registered, requested) => {
    expect(redirectUriAllowed(registered, requested)).toBe(false);
  });

  it('never throws on non-string input', () => {
    const call = (): boolean => redirectUriAllowed(undefined as unknown as string, 42 as unknown as string);
    expect(call).not.toThrow();
    expect(call()).toBe(false);
  });
});
