import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bareEnv, findTool, jsonOut, runCli, SECCOMP_EXEC, skipUnless, sleep, useHarness, type RunResult } from '../helpers';

/**
 * The unit's SystemCallFilter= is the one hardening line that could break node itself.
 * Without a systemd to start the unit, this runs `hh-oauth refresh` under a seccomp
 * filter built from the rendered unit's own SystemCallFilter= lines, expanded by
 * systemd-analyze (python3-seccomp does the loading).
 */
const PYTHON = '/usr/bin/python3';
const hasSeccomp = existsSync(PYTHON) && (() => {
  try {
    execFileSync(PYTHON, ['-c', 'import seccomp'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
const skip = skipUnless(hasSeccomp && findTool('systemd-analyze') !== undefined, 'needs /usr/bin/python3 with python3-seccomp, and systemd-analyze');

const h = useHarness({ expiresIn: 1 });

/** The built CLI under the filter of these --allow/--deny sets (seccomp-exec.py runs what follows its `--`). */
function filtered(sets: string[], args: string[], env: Record<string, string | undefined>): Promise<RunResult> {
  return runCli(args, { env, wrap: [PYTHON, SECCOMP_EXEC, ...sets, '--'] });
}

/** --allow/--deny arguments from the rendered unit's SystemCallFilter= lines. */
async function unitFilter(): Promise<string[]> {
  const root = join(h.dir, 'root');
  const out = await runCli(['install-units', '--root', root, '--no-nginx'], { env: bareEnv(h.dir, { HH_CONFIG_DIR: join(h.dir, 'units-config') }) });
  if (out.code !== 0) throw new Error(out.stderr);
  const unit = readFileSync(join(root, 'etc/systemd/system/hh-oauth-refresh.service'), 'utf8');
  const sets: string[] = [];
  for (const [, value] of unit.matchAll(/^SystemCallFilter=(.*)$/gm)) {
    const deny = value!.startsWith('~');
    for (const set of value!.replace(/^~/, '').split(/\s+/)) sets.push(deny ? '--deny' : '--allow', set);
  }
  expect(unit).toMatch(/^SystemCallErrorNumber=EPERM$/m);
  return sets;
}

describe.skipIf(skip)("node under the unit's system call filter", () => {
  it('refreshes an expired token (HTTP, lock, fsync, rename, HH_TOKEN_GROUP chmod) with only the allowed calls', async () => {
    await h.login();
    const sets = await unitFilter();
    expect(sets).toEqual(['--allow', '@system-service', '--deny', '@privileged', '--deny', '@resources']);
    await sleep(1100);
    const group = readFileSync('/etc/group', 'utf8').split('\n').find((l) => l.split(':')[2] === String(process.getgid?.()))!.split(':')[0]!;
    const out = await filtered(sets, ['refresh', '--json'], h.env({ JOURNAL_STREAM: '8:1', HH_TOKEN_GROUP: group }));
    expect(out.stderr).toMatch(/^seccomp: \d{3} system calls allowed$/m);
    expect(out.code, out.stderr).toBe(0);
    expect(jsonOut(out).status).toBe('refreshed');
    expect(out.stderr).toMatch(/^<6>refreshed: /m);
  });

  it('the filter really bites: without @network-io the same refresh fails as temporary (exit 6)', async () => {
    await h.login();
    const sets = await unitFilter();
    await sleep(1100);
    const out = await filtered([...sets, '--deny', '@network-io'], ['refresh', '--json'], h.env());
    expect(out.code, out.stderr).toBe(6);
  });
});
