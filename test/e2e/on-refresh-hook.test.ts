import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fakePair, findLeaks, jsonOut, quickLogin, readJson, runSecret, sleep, tokenPosts, useHarness, waitUntilExpired, writeTokenFile } from '../helpers';

// Access tokens live 2 s, so a refresh is due after a short sleep.
const h = useHarness({ expiresIn: 2 });

/**
 * A hook that records what it was given, straight from the kernel: its own argv and
 * environment (/proc/$$/cmdline, /proc/$$/environ) and its parent's argv (the
 * hh-oauth process). It also prints to stdout, which must not reach hh-oauth's stdout.
 */
function recordingHook(dir: string): { command: string; out: string } {
  const out = join(dir, 'hook-out');
  const script = join(dir, 'record-hook.sh');
  writeFileSync(
    script,
    `#!/bin/sh
set -e
mkdir -p "$1"
tr '\\0' '\\n' < /proc/$$/cmdline > "$1/cmdline"
tr '\\0' '\\n' < /proc/$$/environ > "$1/environ"
tr '\\0' '\\n' < /proc/$PPID/cmdline > "$1/parent-cmdline"
echo $PPID > "$1/ppid"
echo "hook says hello"
`,
  );
  chmodSync(script, 0o755);
  return { command: `${script} ${out}`, out };
}

function readHookRecord(out: string) {
  const lines = (name: string) => readFileSync(join(out, name), 'utf8').split('\n').filter(Boolean);
  const environ = lines('environ');
  return {
    cmdline: lines('cmdline'),
    parentCmdline: lines('parent-cmdline'),
    ppid: Number(readFileSync(join(out, 'ppid'), 'utf8')),
    environ,
    env: Object.fromEntries(environ.map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)])),
    raw: ['cmdline', 'environ', 'parent-cmdline'].map((n) => readFileSync(join(out, n), 'utf8')),
  };
}

describe('the rotation hook (--on-refresh / HH_ON_REFRESH)', () => {
  it('after exchange: HH_EVENT=exchanged, HH_TOKEN_FILE, HH_EXPIRES_AT; no token or secret in its argv, env, or its parent\'s argv', async () => {
    const { dir, tokenFile } = h;
    const hook = recordingHook(dir);
    const login = await quickLogin(h, {}, ['--on-refresh', hook.command]);
    const pair = readJson(tokenFile);
    const record = readHookRecord(hook.out);

    expect(record.env).toMatchObject({ HH_EVENT: 'exchanged', HH_TOKEN_FILE: tokenFile, HH_EXPIRES_AT: pair.expires_at });
    expect(record.env.PATH).toBe(process.env.PATH);
    expect(record.env).not.toHaveProperty('HH_CLIENT_SECRET');
    expect(record.cmdline).toEqual(['/bin/sh', join(dir, 'record-hook.sh'), hook.out]);
    expect(record.ppid).toBe(login.pid);
    expect(record.parentCmdline).toContain('exchange');
    const secrets = [pair.access_token, pair.refresh_token, h.env().HH_CLIENT_SECRET!];
    expect(findLeaks(record.raw, secrets)).toEqual([]);
    expect(login.stderr).toContain('hook says hello');
  });

  it('after a refresh (HH_ON_REFRESH): HH_EVENT=refreshed; not run when nothing was refreshed; its output never reaches stdout', async () => {
    const { dir, tokenFile } = h;
    await quickLogin(h);
    const hook = recordingHook(dir);
    const env = { HH_ON_REFRESH: hook.command };

    const early = await h.run(['refresh', '--json'], { env });
    expect(jsonOut(early).status).toBe('not_due');
    expect(existsSync(hook.out)).toBe(false);

    await sleep(2100);
    const out = await runSecret(h, ['token'], env);
    expect(out.code, out.stderr).toBe(0);
    const pair = readJson(tokenFile);
    expect(out.stdout).toBe(`${pair.access_token}\n`);
    expect(out.stderr).toContain('hook says hello');
    const record = readHookRecord(hook.out);
    expect(record.env).toMatchObject({ HH_EVENT: 'refreshed', HH_TOKEN_FILE: tokenFile, HH_EXPIRES_AT: pair.expires_at });
    expect(record.env).not.toHaveProperty('HH_ON_REFRESH');
    expect(findLeaks(record.raw, [pair.access_token, pair.refresh_token, h.env().HH_CLIENT_SECRET!])).toEqual([]);
  });

  it('a failing hook logs a warning; the refresh still succeeds (exit 0) and the new pair is stored', async () => {
    const { tokenFile } = h;
    await quickLogin(h);
    const before = readJson(tokenFile);
    await waitUntilExpired(tokenFile);
    const out = await h.run(['refresh', '--json'], { env: { HH_ON_REFRESH: `sh -c 'echo about to fail; exit 3'` } });
    expect(out.code, out.stderr).toBe(0);
    expect(jsonOut(out).status).toBe('refreshed');
    expect(out.stderr).toMatch(/warning: on-refresh: sh failed \(exit code 3\).*stored all the same/);
    expect(readJson(tokenFile).refresh_token).not.toBe(before.refresh_token);
  });

  it('a hanging hook is stopped after HH_ON_REFRESH_TIMEOUT, a missing one reported; the exchange stores the pair all the same', async () => {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ HH_ON_REFRESH: 'sleep 30', HH_ON_REFRESH_TIMEOUT: '1' }, /warning: on-refresh: sleep did not finish within 1 s and was stopped/],
      [{ HH_ON_REFRESH: 'no-such-hook-command --flag' }, /warning: on-refresh: no-such-hook-command failed \(command not found\)/],
    ];
    for (const [env, warning] of cases) {
      const out = await quickLogin(h, env, ['--json']);
      expect(jsonOut(out).status).toBe('stored');
      expect(out.stderr).toMatch(warning);
      expect(readJson(h.tokenFile).access_token).toEqual(expect.any(String));
    }
  });

  it('a malformed hook is refused before anything is spent: exit 3 from HH_ON_REFRESH, exit 2 from --on-refresh', async () => {
    writeTokenFile(h.tokenFile, fakePair(new Date(Date.now() - 1000)));
    const before = tokenPosts(h);
    const fromEnv = await h.run(['refresh'], { env: { HH_ON_REFRESH: 'notify-send done | tee log' } });
    expect(fromEnv.code).toBe(3);
    expect(fromEnv.stderr).toContain(`"|" is shell syntax`);
    const fromFlag = await h.run(['refresh', '--on-refresh', "echo 'unclosed"]);
    expect(fromFlag.code).toBe(2);
    expect(fromFlag.stderr).toContain('single quote is not closed');
    expect(tokenPosts(h)).toBe(before);
  });
});
