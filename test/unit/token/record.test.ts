import { describe, expect, it } from 'vitest';
import { parseTokenFile, recordFromGrant } from '../../../src/token/record';
import { errorCodeOf } from '../../helpers';

describe('token file parsing: unknown fields kept, legacy files dated from mtime, damage a store error', () => {
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
    expect(errorCodeOf(() => parseTokenFile(text, mtime))).toBe('store');
  });
  it('a fresh grant gets obtained_at and expires_at added, hh.ru fields untouched', () => {
    expect(recordFromGrant(good, new Date('2026-11-23T09:00:00.000Z'))).toEqual({
      ...good,
      obtained_at: '2026-11-23T09:00:00.000Z',
      expires_at: '2026-12-07T09:00:00.000Z',
    });
  });
});
