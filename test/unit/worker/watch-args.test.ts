import { describe, expect, it } from 'vitest';
import { parseHotArgs } from '../../../src/cli/hot-args';
import { errorCodeOf } from '../../helpers';
import { parseHealthListen } from '../../../src/worker/health';

describe('refresh --watch and the hot path', () => {
  it.each([
    [['refresh', '--watch']],
    [['refresh', '--watch', '--all']],
    [['refresh', '--log-format', 'json']],
    [['refresh', '--listen', '9464']],
    [['--profile', 'acme', 'refresh', '--watch']],
  ])('%j is handed to the full command (commander), never answered by the hot runner', (argv) => {
    expect(parseHotArgs(argv)).toBeUndefined();
  });

  it('a plain refresh stays hot', () => {
    expect(parseHotArgs(['refresh'])).toMatchObject({ kind: 'command', name: 'refresh' });
  });
});

describe('--listen of the health server', () => {
  it.each([
    ['9464', { host: '127.0.0.1', port: 9464 }],
    ['0.0.0.0:9464', { host: '0.0.0.0', port: 9464 }],
    ['[::1]:80', { host: '::1', port: 80 }],
    ['localhost:1', { host: 'localhost', port: 1 }],
  ])('%s → %j (a port alone is loopback)', (value, addr) => {
    expect(parseHealthListen(value)).toEqual(addr);
  });

  it.each(['0', '65536', '', ':9464', 'host', 'a b:1', '1.2.3.4:', '[zz]:1', '9464\n'])('%j is a usage error', (value) => {
    expect(errorCodeOf(() => parseHealthListen(value))).toBe('usage');
  });
});
