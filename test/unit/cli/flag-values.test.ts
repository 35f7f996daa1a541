import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseInProcess } from './parse-recorder';

/**
 * Option values the command itself refuses, as usage errors (exit 2), before it reads a
 * setting, a file or the network: the real program and the real command modules,
 * in-process. These were spawned end-to-end tests (test/e2e/login.test.ts, "arguments and
 * settings"; test/e2e/refresh-all.test.ts, the usage errors of --all), where the spawn
 * proved nothing that this does not: exit 2 and the JSON error through the real process
 * are in test/e2e/exit-codes.test.ts.
 */
let home: string;
const saved: Record<string, string | undefined> = {};
const ISOLATED = ['HOME', 'HH_CONFIG_DIR', 'HH_TOKEN_FILE', 'HH_STATE_DIR', 'HH_PROFILE', 'HH_CLIENT_ID', 'HH_CLIENT_SECRET', 'HH_REDIRECT_URI'];

beforeAll(() => {
  // Should a command get past its checks after all, it finds an empty home, not the developer's.
  home = mkdtempSync(join(tmpdir(), 'hh-oauth-flag-values-'));
  for (const name of ISOLATED) saved[name] = process.env[name];
  for (const name of ISOLATED) delete process.env[name];
  process.env.HOME = home;
});

afterAll(() => {
  for (const name of ISOLATED) {
    if (saved[name] === undefined) delete process.env[name];
    else process.env[name] = saved[name];
  }
  rmSync(home, { recursive: true, force: true });
});

const refused: Array<[argv: string[], message: RegExp]> = [
  [['login', '--listen', 'localhost'], /^--listen must be HOST:PORT/],
  [['login', '--listen', '127.0.0.1:70000'], /^--listen port must be between 1 and 65535/],
  [['login', '--timeout', 'soon'], /^--timeout must be a duration/],
  [['login', '--timeout', '0'], /^--timeout must be above zero/],
  [['login', '--timeout', '2d'], /^--timeout must be a duration/],
  [['refresh', '--all', '--concurrency', '0'], /^--concurrency must be a whole number from 1 to 256/],
  [['refresh', '--all', '--concurrency', 'many'], /^--concurrency must be a whole number from 1 to 256/],
  [['refresh', '--all', '--concurrency', '1000'], /^--concurrency must be a whole number from 1 to 256/],
  [['refresh', '--concurrency', '2'], /^--concurrency only applies to --all/],
  [['--profile', 'a', 'refresh', '--all'], /^--all refreshes every profile; drop --profile/],
];

describe('option values a command refuses before doing anything', () => {
  it.each(refused)('%j: exit 2, %s', async (argv, message) => {
    const outcome = await parseInProcess(argv);
    expect(outcome).toMatchObject({ kind: 'error', code: 2, error: 'usage', message: expect.stringMatching(message), stdout: '', stderr: '' });
    expect(readdirSync(home)).toEqual([]);
  });
});
