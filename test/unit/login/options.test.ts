import { describe, expect, it } from 'vitest';
import { parseDuration, parseListen } from '../../../src/login/options';

describe('login options: --listen HOST:PORT and --timeout durations, or a refusal naming the option', () => {
  it.each([
    ['127.0.0.1:8400', { host: '127.0.0.1', port: 8400 }],
    ['[::1]:9000', { host: '::1', port: 9000 }],
    ['localhost:1', { host: 'localhost', port: 1 }],
  ])('--listen %s', (value, expected) => expect(parseListen(value)).toEqual(expected));

  it.each(['8400', '127.0.0.1', ':8400', '127.0.0.1:0', 'a b:80', '[zz]:80', 'host:80\n', '127.0.0.1:8400x'])('--listen %j is refused', (value) => {
    expect(() => parseListen(value)).toThrow(/--listen/);
  });

  it.each([
    ['10m', 600],
    ['90s', 90],
    ['90', 90],
    ['1.5m', 90],
    ['1h', 3600],
    ['500ms', 0.5],
    ['24h', 86400],
  ])('--timeout %s = %d s', (value, seconds) => expect(parseDuration(value)).toBe(seconds));

  it.each(['', '0', '0s', '-1m', '10 m', '1d', '25h', 'm', '1e3'])('--timeout %j is refused', (value) => {
    expect(() => parseDuration(value)).toThrow(/--timeout/);
  });
});
