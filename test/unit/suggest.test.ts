import { describe, expect, it } from 'vitest';
import { closest } from '../../src/suggest';

describe('closest: the word a typo most likely meant', () => {
  it.each([
    ['lst', ['set', 'get', 'unset', 'list'], 'list'],
    ['clientid', ['client-id', 'client-secret', 'client-secret-file'], 'client-id'],
    ['refrsh', ['refresh', 'revoke', 'status'], 'refresh'],
    ['stauts', ['status', 'sandbox'], 'status'],
    ['HH_CLIENTID', ['HH_CLIENT_ID', 'HH_CLIENT_SECRET'], 'HH_CLIENT_ID'],
    ['LIST', ['list'], 'list'],
  ])('%s → %s', (word, candidates, expected) => {
    expect(closest(word, candidates)).toBe(expected);
  });

  it('names nothing for a different word, or an empty list', () => {
    expect(closest('xyzzy', ['set', 'get', 'unset', 'list'])).toBeUndefined();
    expect(closest('a', ['list'])).toBeUndefined();
    expect(closest('list', [])).toBeUndefined();
  });

  it('prefers the nearer of two candidates, and the first of equals', () => {
    expect(closest('sett', ['set', 'unset'])).toBe('set');
    expect(closest('ab', ['ac', 'ad'])).toBe('ac');
  });

});
