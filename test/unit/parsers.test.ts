import { describe, expect, it } from 'vitest';
import { parseCallbackInput } from '../../src/authorize/callback-input';
import { parseEnvFile } from '../../src/config/env-file';
import { HhOauthError } from '../../src/errors';
import { expiresAt, formatDuration, isDue, secondsLeft } from '../../src/token/expiry';
import { parseTokenFile, recordFromGrant } from '../../src/token/record';
import { findLeaks } from '../helpers/secrets';

const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return err instanceof HhOauthError ? err.code : 'not ours';
  }
  return 'no error';
};

describe('expiry math', () => {
  const t0 = new Date('2026-11-23T09:00:00.000Z');
  it('expires_at is obtained_at + expires_in, and a token is due exactly at expiry, not a millisecond before', () => {
    const end = expiresAt(t0, 1209600);
    expect(end.toISOString()).toBe('2026-12-07T09:00:00.000Z');
    expect(isDue(end, new Date(end.getTime() - 1))).toBe(false);
    expect(isDue(end, end)).toBe(true);
    expect(secondsLeft(end, t0)).toBe(1209600);
    expect(secondsLeft(end, new Date(end.getTime() + 5000))).toBe(-5);
  });
  it('formats durations for journal lines', () => {
    expect(formatDuration(1209600)).toBe('14d 0h');
    expect(formatDuration(3725)).toBe('1h 2m');
    expect(formatDuration(61)).toBe('1m 1s');
    expect(formatDuration(7)).toBe('7s');
  });
});

describe('token file parsing', () => {
  const mtime = new Date('2026-11-01T00:00:00Z');
  const good = { access_token: 'A'.repeat(64), token_type: 'bearer', expires_in: 1209600, refresh_token: 'R'.repeat(64) };
  it('keeps unknown fields verbatim and prefers expires_at', () => {
    const rec = parseTokenFile(JSON.stringify({ ...good, extra: 1, expires_at: '2026-12-01T00:00:00.000Z' }), mtime);
    expect(rec.legacy).toBe(false);
    expect(rec.expiresAt.toISOString()).toBe('2026-12-01T00:00:00.000Z');
    expect(rec.data.extra).toBe(1);
  });
  it('reads a legacy file as mtime + expires_in', () => {
    const rec = parseTokenFile(JSON.stringify(good), mtime);
    expect(rec.legacy).toBe(true);
    expect(rec.expiresAt.toISOString()).toBe('2026-11-15T00:00:00.000Z');
  });
  it.each([
    ['empty', ''],
    ['truncated', JSON.stringify(good).slice(0, 30)],
    ['an array', '[]'],
    ['wrong types', JSON.stringify({ ...good, access_token: 42 })],
    ['no refresh_token', JSON.stringify({ ...good, refresh_token: undefined })],
    ['no expiry at all', JSON.stringify({ ...good, expires_in: undefined })],
    ['a bad date', JSON.stringify({ ...good, expires_at: 'tomorrow' })],
  ])('%s is a store error (exit 7)', (_name, text) => {
    expect(codeOf(() => parseTokenFile(text, mtime))).toBe('store');
  });
  it('a fresh grant gets obtained_at and expires_at added, hh.ru fields untouched', () => {
    expect(recordFromGrant(good, new Date('2026-11-23T09:00:00.000Z'))).toEqual({
      ...good,
      obtained_at: '2026-11-23T09:00:00.000Z',
      expires_at: '2026-12-07T09:00:00.000Z',
    });
  });
});

describe('callback input (exchange)', () => {
  it('takes a bare code', () => {
    expect(parseCallbackInput('  ABC123  \n')).toEqual({ source: 'code', code: 'ABC123' });
  });
  it('reads code and state from a pasted callback URL, including extra parameters', () => {
    expect(parseCallbackInput('https://bot.example.com/callback?lang=RU&code=XYZ&state=s1')).toMatchObject({ code: 'XYZ', state: 's1' });
  });
  it('reads error=access_denied', () => {
    expect(parseCallbackInput('https://bot.example.com/callback?error=access_denied&state=s1')).toMatchObject({ error: 'access_denied', state: 's1' });
  });
  it.each([
    ['empty', ''],
    ['a URL with neither code nor error', 'https://x.example/cb?foo=1'],
    ['a duplicated code', 'https://x.example/cb?code=a&code=b'],
    ['a code with spaces', 'https://x.example/cb?code=a%20b'],
    ['prose', 'hello world'],
    ['a broken URL', 'http://[::1/cb?code=x'],
  ])('%s is a usage error', (_name, input) => {
    expect(codeOf(() => parseCallbackInput(input))).toBe('usage');
  });
});

describe('env file (the subset `set -a; source .env` reads the same way)', () => {
  it('reads plain, quoted, exported and commented assignments', () => {
    expect(
      parseEnvFile("# c\nexport A=1\nB='x y $z'\nC=\"q \\\"w\\\"\" # note\n\nD=\n"),
    ).toEqual({ A: '1', B: 'x y $z', C: 'q "w"', D: '' });
  });
  it.each([
    ['expansion', 'A="$HOME"'],
    ['command substitution', 'A=$(id)'],
    ['an unquoted space', 'A=b c'],
    ['an unterminated quote', "A='x"],
    ['not an assignment', 'just words'],
    ['text after a quote', "A='x'y"],
  ])('%s is a config error that names the line but not the value', (_name, line) => {
    let thrown: unknown;
    try {
      parseEnvFile(`OK=1\n${line}\n`);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(HhOauthError);
    expect((thrown as HhOauthError).code).toBe('config');
    expect((thrown as Error).message).toContain('line 2');
    // The value: what follows '=' (the whole line when there is none).
    const value = line.includes('=') ? line.slice(line.indexOf('=') + 1) : line;
    expect((thrown as Error).message).not.toContain(value);
  });
});

describe('the leak finder used by every end-to-end file', () => {
  const secret = 'USERQ7W3E9R1T5Y2U8I4O6P0ASDFGHJKLZXCVBNM';
  it('finds a whole secret, a piece of one, and more than the first 4 characters', () => {
    expect(findLeaks([`token=${secret}`], [secret])).toHaveLength(1);
    expect(findLeaks([`…${secret.slice(10, 22)}…`], [secret])).toHaveLength(1);
    expect(findLeaks([`${secret.slice(0, 5)}…`], [secret])).toHaveLength(1);
  });
  it('allows the masked form', () => {
    expect(findLeaks([`refresh token ${secret.slice(0, 4)}… spent`], [secret])).toEqual([]);
  });
});
