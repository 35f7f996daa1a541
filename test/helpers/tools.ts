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
