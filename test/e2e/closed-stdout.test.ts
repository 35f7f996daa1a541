import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bareEnv, BIN, useTempDirs } from '../helpers';

/**
 * Scripts pipe hh-oauth into `head`, `grep -q` and the like, which stop reading early.
 * The reader is closed here before the CLI has written anything, so every write it makes
 * meets EPIPE: it must end as it would have (exit code, nothing on stderr), not with a
 * Node stack trace for an unhandled 'error' event.
 */
const home = useTempDirs('hh-oauth-epipe-')();

function runWithClosedStdout(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--', BIN, ...args], {
      env: bareEnv(home, { HH_TOKEN_FILE: join(home, 'token.json') }) as NodeJS.ProcessEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

describe('a reader that stops reading early', () => {
  it.each([
    [['--help']],
    [['install-units', '--help']],
    [['profiles', '--help']],
    [['--version']],
    [['authorize-url', '--help']],
  ])('hh-oauth %j ends with exit 0 and an empty stderr', async (args) => {
    const result = await runWithClosedStdout(args);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });

  it('an error still reaches stderr with its exit code when stdout is gone', async () => {
    const result = await runWithClosedStdout(['no-such-command']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/unknown command/);
    expect(result.stderr).not.toMatch(/EPIPE|at .*\(node:/);
  });
});
