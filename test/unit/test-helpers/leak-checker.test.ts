import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { fakeSecret, findLeaks, leakReport, trackSecrets, watchArgv } from '../../helpers';

/**
 * The leak checker every end-to-end file ends with must be able to fail: these tests
 * feed it real leaks (in printed text, in a grandchild's argv read from /proc) and
 * expect it to report each one, and a masked reference not to. The CLI's own argv:
 * test/e2e/leak-scan.test.ts.
 */

describe('findLeaks: a secret, or any piece of it beyond the 4-character mask, is a leak', () => {
  const secret = fakeSecret();
  it('reports a whole secret, any 8-character piece past the first character, and a 5-character prefix', () => {
    expect(findLeaks([`token=${secret}`], [secret])).toHaveLength(1);
    expect(findLeaks([`x${secret.slice(1, 9)}x`], [secret])).toHaveLength(1);
    expect(findLeaks([`…${secret.slice(-8)}`], [secret])).toHaveLength(1);
    expect(findLeaks([`…${secret.slice(10, 22)}…`], [secret])).toHaveLength(1);
    expect(findLeaks([`${secret.slice(0, 5)}…`], [secret])).toHaveLength(1);
  });

  it('accepts the masked form (first 4 characters) and unrelated text', () => {
    expect(findLeaks([`refresh token ${secret.slice(0, 4)}… spent`, 'nothing here'], [secret])).toEqual([]);
  });

  it('never prints more of the secret than the mask in its own report', () => {
    const [report] = findLeaks([`leaked: ${secret}`], [secret]);
    expect(report).toBeDefined();
    expect(findLeaks([report!], [secret])).toEqual([]);
  });
});

describe('the suite-wide leak report', () => {
  it('reads every tracked secret source and reports a leak in any captured text', () => {
    const secret = fakeSecret();
    trackSecrets(() => [secret]);
    expect(leakReport(['clean output'])).toEqual([]);
    expect(leakReport(['clean output', `oops ${secret.slice(20, 40)}`])).toHaveLength(1);
  });
});

describe('argv sampling of descendants', () => {
  it('sees a grandchild started with a secret in argv, and nothing in a clean tree', async () => {
    const secret = fakeSecret();
    const run = (arg: string) =>
      new Promise<string[]>((resolve) => {
        // sh → sh -c 'sleep…' ARG: the inner shell keeps ARG in its argv while it sleeps.
        const child = spawn('sh', ['-c', `sh -c 'sleep 0.3; true' "$0"; true`, arg], { stdio: 'ignore' });
        const sink: string[] = [];
        const stop = watchArgv(child.pid!, sink);
        child.on('exit', () => {
          stop();
          resolve(sink);
        });
      });
    const leaky = await run(secret);
    expect(leaky.some((t) => t.includes(`sleep 0.3; true ${secret}`))).toBe(true);
    expect(findLeaks(leaky, [secret])).toHaveLength(1);
    const clean = await run('harmless');
    expect(findLeaks(clean, [secret])).toEqual([]);
  });
});
