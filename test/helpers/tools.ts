import { spawnSync } from 'node:child_process';
import { accessSync, constants, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { parseAccountFile } from '../../src/system/accounts';
import { BIN } from './files';

/**
 * Host tools and privileges the tests need, and what to do without them: locally a
 * test that needs something missing is skipped with the reason printed; under CI
 * (CI set) nothing is skipped, so the test fails instead.
 */

/** Full path of a host tool, searching PATH plus the sbin directories a non-root PATH may lack. */
export function findTool(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/sbin', '/usr/bin', '/bin'];
  for (const dir of dirs) {
    if (!dir) continue;
    try {
      accessSync(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Whether `cmd args` starts from this process's own PATH (as the CLI under test would find it). */
export function runsHere(cmd: string, args: string[]): boolean {
  return spawnSync(cmd, args, { stdio: 'ignore' }).error === undefined;
}

/** Whether to skip tests that need a tool (or root): true only locally, with the reason printed. */
export function skipUnless(ok: boolean, reason: string): boolean {
  if (ok) return false;
  if (process.env.CI) return false;
  console.warn(`skipping: ${reason}`);
  return true;
}

/** The per-test form of skipUnless: skip this test (reason printed) when what it needs is missing here; under CI, fail it. */
export function requires(ctx: { skip(): void }, what: string, available: boolean): void {
  if (available) return;
  if (process.env.CI) throw new Error(`this case needs ${what}, which CI must provide`);
  console.log(`skipped here (not in CI): needs ${what}`);
  ctx.skip();
}

export const isRoot = process.getuid?.() === 0;

/** A group this process may give files to (for HH_TOKEN_GROUP): any group as root, its own group otherwise. */
export function usableGroup(): { name: string; gid: number } {
  const groups = parseAccountFile(readFileSync('/etc/group', 'utf8'));
  if (isRoot && groups.has('nogroup')) return { name: 'nogroup', gid: groups.get('nogroup')! };
  const own = [...groups].find(([, gid]) => gid === process.getgid?.());
  if (!own) throw new Error('cannot name this process group');
  return { name: own[0], gid: own[1] };
}

/** Runs the command after it as the unprivileged user nobody (root only). */
export const NOBODY = 65534;
export const AS_NOBODY = ['setpriv', `--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', '--'];

/** Runs the command after it as root without capabilities: file permissions then apply to it as to any user. */
export const WITHOUT_PRIVILEGE = ['setpriv', '--bounding-set=-all', '--'];

/** Whether WITHOUT_PRIVILEGE works here (root and setpriv). */
export function canDropPrivileges(): boolean {
  return isRoot && spawnSync(WITHOUT_PRIVILEGE[0]!, [...WITHOUT_PRIVILEGE.slice(1), 'true']).status === 0;
}

/** Whether the built CLI runs as nobody here: root, setpriv, and a checkout nobody may read. */
export function nobodyCanRunCli(): boolean {
  return isRoot && spawnSync(AS_NOBODY[0]!, [...AS_NOBODY.slice(1), process.execPath, BIN, '--version']).status === 0;
}

/**
 * Whether this process can mount a small tmpfs (root and mount(8)), for read-only and
 * full-disk cases; with `chattr`, also whether a file on it can be made immutable.
 */
export function canMountTmpfs(opts: { chattr?: boolean } = {}): boolean {
  if (!isRoot) return false;
  const dir = join(process.env.TMPDIR ?? '/tmp', `hh-oauth-tmpfs-probe-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  let ok = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k,nr_inodes=16', 'tmpfs', dir]).status === 0;
  if (ok) {
    if (opts.chattr) {
      const file = join(dir, 'f');
      writeFileSync(file, '');
      ok = spawnSync('chattr', ['+i', file]).status === 0;
      spawnSync('chattr', ['-i', file]);
    }
    spawnSync('umount', [dir]);
  }
  rmSync(dir, { recursive: true, force: true });
  return ok;
}

/**
 * Runs a program to its end and returns how it ended, never throwing for a non-zero
 * exit (code -1: it could not be started). For tools judged by their output: nginx -t,
 * systemd-analyze.
 */
export function runProgram(file: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): { code: number; stdout: string; stderr: string } {
  const out = spawnSync(file, args, { cwd: opts.cwd, env: opts.env, encoding: 'utf8' });
  if (out.error) return { code: -1, stdout: '', stderr: String(out.error) };
  return { code: out.status ?? -1, stdout: out.stdout, stderr: out.stderr };
}
