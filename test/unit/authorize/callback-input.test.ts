import { describe, expect, it } from 'vitest';
import { parseCallbackInput } from '../../../src/authorize/callback-input';
import { errorCodeOf } from '../../helpers';

describe('callback input (what exchange reads): a bare code, a pasted callback URL, or a usage error', () => {
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
    expect(errorCodeOf(() => parseCallbackInput(input))).toBe('usage');
  });
});
