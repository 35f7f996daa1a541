import { describe, expect, it } from 'vitest';
import { parseAppTokenFile } from '../../../src/token/app-token';

describe('app token file: hh.ru\'s answer plus obtained_at, and nothing less than an access_token', () => {
  it('accepts hh.ru\'s answer plus obtained_at, and nothing less than an access_token', () => {
    expect(parseAppTokenFile('{"access_token":"A1","token_type":"bearer","obtained_at":"2026-01-01T00:00:00.000Z"}').obtainedAt?.toISOString()).toBe('2026-01-01T00:00:00.000Z');
    expect(parseAppTokenFile('{"access_token":"A1"}').accessToken).toBe('A1');
    for (const bad of ['', '[]', 'null', '{"access_token":""}', '{"access_token":5}', '{"access_token":"A","obtained_at":"soon"}', '{"access_token":"A"']) {
      expect(() => parseAppTokenFile(bad), bad).toThrow(/corrupt/);
    }
  });
});
