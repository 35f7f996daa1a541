import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

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

/**
 * Whether to skip tests that need a tool (or root). Locally a missing tool skips with
 * the reason printed; under CI (CI set) nothing is skipped, so the tests fail instead.
 */
export function skipUnless(ok: boolean, reason: string): boolean {
  if (ok) return false;
  if (process.env.CI) return false;
  console.warn(`skipping: ${reason}`);
  return true;
}

export const isRoot = process.getuid?.() === 0;

/**
 * The per-test form of skipUnless: inside a test, skip it (reason printed) when what it
 * needs is missing here, or fail it under CI, which must provide everything.
 */
export function requires(ctx: { skip(): void }, what: string, available: boolean): void {
  if (available) return;
  if (process.env.CI) throw new Error(`this case needs ${what}, which CI must provide`);
  console.log(`skipped here (not in CI): needs ${what}`);
  ctx.skip();
}

/** Runs the command after it as the unprivileged user nobody (root only). */
export const NOBODY = 65534;
export const AS_NOBODY = ['setpriv', `--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', '--'];

/** Whether the built CLI runs as nobody here: root, setpriv, and a checkout nobody may read. */
export function nobodyCanRunCli(bin: string): boolean {
  return isRoot && spawnSync(AS_NOBODY[0]!, [...AS_NOBODY.slice(1), process.execPath, bin, '--version']).status === 0;
}
