import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BIN, captured, jsonOut, runCli, type RunResult } from '../helpers/cli';
import { findTool, skipUnless } from '../helpers/tools';
import { useHarness } from '../helpers/workspace';

/**
 * The unit's SystemCallFilter= is the one hardening line that could break node itself.
 * Without a systemd to start the unit, this runs `hh-oauth refresh` under a seccomp
 * filter built from the rendered unit's own SystemCallFilter= lines, expanded by
 * systemd-analyze (python3-seccomp does the loading).
 */
const PYTHON = '/usr/bin/python3';
const HELPER = fileURLToPath(new URL('../helpers/seccomp-exec.py', import.meta.url));
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

function filtered(sets: string[], args: string[], env: Record<string, string | undefined>): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [HELPER, ...sets, '--', process.execPath, BIN, ...args], { env: env as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      captured.push(stdout, stderr);
      resolve({ code, signal, stdout, stderr, pid: child.pid ?? -1 });
    });
  });
}

/** --allow/--deny arguments from the rendered unit's SystemCallFilter= lines. */
async function unitFilter(): Promise<string[]> {
  const root = join(h.dir, 'root');
  const out = await runCli(['install-units', '--root', root, '--no-nginx'], { env: { PATH: process.env.PATH, HOME: h.dir, HH_CONFIG_DIR: join(h.dir, 'units-config') } });
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
    await new Promise((r) => setTimeout(r, 1100));
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
    await new Promise((r) => setTimeout(r, 1100));
    const out = await filtered([...sets, '--deny', '@network-io'], ['refresh', '--json'], h.env());
    expect(out.code, out.stderr).toBe(6);
  });
});
