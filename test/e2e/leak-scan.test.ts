import { describe, expect, it } from 'vitest';
import { bareEnv, captured, fakeSecret, leakReport, runCli, trackSecrets, useTempDirs } from '../helpers';

/**
 * The leak scan every end-to-end file ends with reads the CLI's argv too (a secret in
 * argv is visible to every user through `ps`): fed one, it must report it.
 */
const tempDir = useTempDirs('hh-oauth-leak-');

describe('the leak scan of CLI runs', () => {
  it('catches a secret passed to the CLI in argv (from the spawn and from /proc/<pid>/cmdline)', async () => {
    const secret = fakeSecret();
    trackSecrets(() => [secret]);
    const before = captured.length;
    // Not a valid code for any sandbox: exchange fails without network, but its argv is what matters here.
    const out = await runCli(['exchange', secret], { env: bareEnv(tempDir()) });
    expect(out.code).not.toBe(0);
    const texts = captured.slice(before);
    expect(texts.some((t) => t.startsWith('argv(/proc/') && t.includes(secret))).toBe(true);
    expect(leakReport(texts).length).toBeGreaterThan(0);
  });
});
